"""The home page: the marketing page for visitors, the dashboard for a logged-in trader
(trading/dashboard.py, trading/dashboard_reads.py), with the day's change exact."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import StaffUserFactory
from markets.models import WatchlistEntry
from markets.tests.factories import PriceTickFactory
from trading.dashboard_reads import dashboard_for, day_change_for
from trading.models import LedgerEntry, Order
from trading.services import account_credit, account_reset, order_place
from trading.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db
D = Decimal


def visible(html: str) -> str:
    """The page's text: scripts and tags removed, spaces squeezed."""
    text = re.sub(r"<script\b.*?</script>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))


def main_of(response) -> str:
    html = response.content.decode()
    return html[html.index('<main id="main"') : html.index("</main>")]


# --- who sees what -------------------------------------------------------------------


def test_visitors_get_the_marketing_page_with_sign_up_under_the_headline(client, settings):
    settings.DEMO_STARTING_BALANCE_USD = D("10000")

    main = main_of(client.get("/"))

    headline = main.index("<h1>")
    signup = main.index('href="/accounts/signup/"')
    assert headline < signup < main.index('class="lead"'), "sign-up comes right after the h1"
    assert "Create a free account" in main
    assert "Start with $10,000 in demo dollars" in visible(main)
    assert 'href="/accounts/login/"' in main
    assert "data-dashboard" not in main


def test_a_logged_in_trader_gets_the_dashboard(client, trader, prices):
    client.force_login(trader)

    response = client.get("/")

    assert response.status_code == 200
    assert response.templates[0].name == "trading/dashboard.html"
    text = visible(main_of(response))
    assert "Total value $10,000.00" in text
    assert "Cash available $10,000.00" in text
    assert "You hold no coins yet" in text
    assert "No open orders" in text
    assert "Star coins on the Markets page" in text


# --- what the dashboard shows --------------------------------------------------------


@pytest.fixture
def busy(trader, prices):
    """Bitcoin 0.1 and ethereum 1 bought, a limit buy and a limit sell open, dogecoin and
    solana watched."""
    OrderFactory.create(user=trader, coin_id="bitcoin", quantity=D("0.1"))
    OrderFactory.create(user=trader, coin_id="ethereum", quantity=D("1"))
    order_place(
        user=trader,
        coin_id="bitcoin",
        side="buy",
        type="limit",
        quantity=D("0.01"),
        limit_price=D("45000"),
    )
    latest = order_place(
        user=trader,
        coin_id="ethereum",
        side="sell",
        type="limit",
        quantity=D("0.5"),
        limit_price=D("2500"),
    ).order
    PriceTickFactory.create(coin_id="dogecoin", price=D("0.18034"), change_24h_pct=D("-2.5"))
    for coin in ("dogecoin", "solana"):
        WatchlistEntry.objects.create(user=trader, coin_id=coin)
    return trader, latest


def test_the_dashboard_shows_holdings_by_name_orders_and_the_watchlist(client, busy):
    trader, latest = busy
    client.force_login(trader)

    main = main_of(client.get("/"))
    text = visible(main)

    # 10000 - 5005 - 2002 = 2993 cash, of which 450.45 reserved; coins 5000 + 2000
    assert "Total value $9,993.00" in text
    assert "Cash available $2,542.55" in text and "$450.45 reserved by open buys" in text
    assert "Bitcoin 0.1 BTC $5,000.00 $50,000.00" in text
    assert "Ethereum 1 ETH $2,000.00 $2,000.00" in text
    assert main.index("Bitcoin") < main.index("Ethereum"), "largest holding first"
    assert "Ethereum 1 ETH $2,000.00 $2,000.00 Trade Cash USD $2,993.00" in text
    # What the page's script values at live prices: every holding and the cash.
    assert 'data-holdings="bitcoin=0.10000000 ethereum=1.00000000"' in main
    assert 'data-cash="2993.00000000"' in main
    assert 'href="/trade/?coin=bitcoin"' in main and 'aria-label="Trade Bitcoin"' in main
    assert "2 open orders waiting for their price" in text
    assert "Sell 0.5 ETH · Ethereum" in text and "Limit at $2,500.00" in text
    assert f'datetime="{latest.created_at.isoformat()}"' in main
    assert "Dogecoin DOGE $0.1803" in text and "-2.50%" in text
    assert "Solana SOL" in text
    assert "bitcoin" not in text and "dogecoin" not in text, "coins by name, never by id"


def test_the_dashboard_lists_the_five_largest_holdings(trader, prices):
    for coin, price in [("solana", "100"), ("cardano", "0.5"), ("ripple", "0.6"), ("tron", "0.2")]:
        PriceTickFactory.create(coin_id=coin, price=D(price))
        OrderFactory.create(user=trader, coin_id=coin, quantity=D("10"))
    OrderFactory.create(user=trader, coin_id="bitcoin", quantity=D("0.01"))
    OrderFactory.create(user=trader, coin_id="ethereum", quantity=D("0.1"))

    dashboard = dashboard_for(user=trader)

    assert [row["symbol"] for row in dashboard.holdings] == ["SOL", "BTC", "ETH", "XRP", "ADA"]
    assert dashboard.holdings_more == 1


def test_after_a_reset_the_dashboard_starts_over(client, busy):
    trader, _ = busy
    account_reset(user=trader)
    client.force_login(trader)

    text = visible(main_of(client.get("/")))

    assert "Total value $10,000.00" in text
    assert "You hold no coins yet" in text
    assert "No open orders" in text
    assert "Change today $0.00 (0.00%)" in text


# --- the day's change, exact ------------------------------------------------------------


@pytest.fixture
def a_day_of_prices(trader):
    """Funded three days ago; 0.1 BTC bought two days ago at 40,000 (4,004 with the fee);
    bitcoin at 45,000 a day and an hour ago, at 50,000 now."""
    now = timezone.now()
    LedgerEntry.objects.filter(user=trader).update(at=now - timedelta(days=3))
    bought = PriceTickFactory.create(coin_id="bitcoin", price=D("40000"))
    order = OrderFactory.create(user=trader, coin_id="bitcoin", quantity=D("0.1"))
    two_days_ago = now - timedelta(days=2)
    LedgerEntry.objects.filter(order=order).update(at=two_days_ago)
    Order.objects.filter(pk=order.pk).update(created_at=two_days_ago, filled_at=two_days_ago)
    bought.at = two_days_ago
    bought.save()
    PriceTickFactory.create(coin_id="bitcoin", price=D("45000"), at=now - timedelta(hours=25))
    PriceTickFactory.create(coin_id="bitcoin", price=D("50000"))
    return trader


def test_the_day_change_is_the_value_now_against_the_value_a_day_ago(a_day_of_prices):
    change = day_change_for(user=a_day_of_prices)

    # then: 5996 + 0.1 x 45,000 = 10,496; now: 5996 + 0.1 x 50,000 = 10,996
    assert change is not None
    assert (change.amount, change.pct, change.baseline) == (D("500"), D("4.7637"), D("10496"))
    assert change.full_day


def test_a_credit_today_is_not_a_gain(a_day_of_prices, settings):
    account_credit(
        user=a_day_of_prices, amount=D("250"), reason="Prize", staff=StaffUserFactory.create()
    )

    change = day_change_for(user=a_day_of_prices)

    # baseline 10,496 + 250; now 11,246: the same 500, of a larger base
    assert change is not None
    assert (change.amount, change.pct, change.baseline) == (D("500"), D("4.6529"), D("10746"))


def test_a_reset_today_starts_the_day_again(a_day_of_prices):
    account_reset(user=a_day_of_prices)
    PriceTickFactory.create(coin_id="bitcoin", price=D("55000"))

    change = day_change_for(user=a_day_of_prices)

    assert change is not None
    assert (change.amount, change.pct, change.baseline) == (D("0"), D("0"), D("10000"))
    assert not change.full_day


def test_an_account_without_a_ledger_has_no_day_change(db):
    from trading.tests.factories import TraderFactory

    assert day_change_for(user=TraderFactory.create(funded=False)) is None
