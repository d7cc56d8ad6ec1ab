"""The operators' overview page: staff only, and each number read from where it lives."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import SentEmail, User
from accounts.tests.factories import UserFactory
from markets.feed import LEADER_KEY
from markets.models import QuotaUsage
from markets.tests.factories import PriceTickFactory
from trading.models import Order
from trading.overview import day_start, operations_overview, trade_volume_usd
from trading.tests.factories import OrderFactory, TraderFactory

pytestmark = pytest.mark.django_db

OVERVIEW = "/admin/trading/order/overview/"


@pytest.fixture
def prices(settings):
    settings.DEMO_STARTING_BALANCE_USD = Decimal("10000")
    settings.TRADING_FEE_RATE = Decimal("0.001")
    settings.PRICE_REFRESH_SECONDS = 60
    PriceTickFactory.create(coin_id="bitcoin", price=Decimal("50000"))
    PriceTickFactory.create(coin_id="dogecoin", price=Decimal("0.18031"))


def test_the_overview_has_its_admin_url():
    assert reverse("admin:operations_overview") == OVERVIEW


def test_anonymous_and_traders_are_sent_to_the_admin_login(client, user):
    anonymous = client.get(OVERVIEW)
    client.force_login(user)  # a verified trader, not staff
    trader = client.get(OVERVIEW)

    for response in (anonymous, trader):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_the_admin_index_links_to_the_overview(client, staff_user):
    client.force_login(staff_user)

    page = client.get("/admin/").content.decode()

    assert f'href="{OVERVIEW}"' in page
    assert "css/admin.css" in page


def test_users_orders_and_volume_today(prices, staff_user):
    # given: two traders today (one buys at market, one leaves a limit order open),
    # one unverified sign-up, and an old user
    old = UserFactory.create(email="old@example.com")
    User.objects.filter(pk=old.pk).update(date_joined=timezone.now() - timedelta(days=3))
    UserFactory.create(email="new@example.com", unverified=True)
    buyer, waiter = TraderFactory.create(), TraderFactory.create()
    OrderFactory.create(user=buyer, quantity=Decimal("0.1"))  # 5,000.00 traded
    OrderFactory.create(
        user=buyer, coin_id="dogecoin", quantity=Decimal("1234.56789"), side="buy"
    )  # 222.60795625... traded
    OrderFactory.create(user=waiter, type="limit", limit_price=Decimal("40000"))
    yesterday = OrderFactory.create(user=buyer, type="limit", limit_price=Decimal("1000"))
    Order.objects.filter(pk=yesterday.pk).update(created_at=timezone.now() - timedelta(days=1))

    # when
    overview = operations_overview()

    # then
    assert overview.users_total == 5  # the operator counts too
    assert overview.users_verified == 4
    assert overview.users_new_today == 4
    assert overview.orders_today == 3
    assert overview.orders_open == 2
    doge = (Decimal("1234.56789") * Decimal("0.18031")).quantize(Decimal("0.00000001"))
    assert overview.volume_today_usd == Decimal("5000") + doge  # exact, fees excluded


def test_volume_counts_sells_and_only_today(prices):
    trader = TraderFactory.create()
    OrderFactory.create(user=trader, quantity=Decimal("0.1"))
    OrderFactory.create(user=trader, side="sell", quantity=Decimal("0.05"))

    assert trade_volume_usd(since=day_start(timezone.now())) == Decimal("7500")
    assert trade_volume_usd(since=timezone.now() + timedelta(seconds=5)) == Decimal(0)


def test_feed_leader_quota_email_failures_and_audit(staff_user, settings):
    settings.COINGECKO_MONTHLY_CREDITS = 10000
    now = timezone.now()
    cache.set(LEADER_KEY, "web-1:4242:ab12", 30)
    QuotaUsage.objects.create(month=now.date().replace(day=1), credits_used=1234)
    SentEmail.objects.create(kind="verification", to="a@example.com", subject="s", status="failed")
    SentEmail.objects.create(kind="welcome", to="b@example.com", subject="s", status="sent")
    old = SentEmail.objects.create(kind="reset", to="c@example.com", subject="s", status="failed")
    SentEmail.objects.filter(pk=old.pk).update(created_at=now - timedelta(hours=25))
    audit_record(action="login_failed", email="x@example.com", reason="bad_password")

    overview = operations_overview(now=now)

    assert overview.feed_leader == "web-1:4242:ab12"
    assert overview.budget.credits_used == 1234
    assert overview.budget.credits_monthly == 10000
    assert overview.budget_used_pct == Decimal("12.34")
    assert overview.email_failures == 1
    assert [email.to for email in overview.email_failures_recent] == ["a@example.com"]
    assert overview.audit_recent[0].action == "login_failed"


def test_the_page_shows_the_numbers(client, prices, staff_user, settings):
    settings.COINGECKO_MONTHLY_CREDITS = 10000
    QuotaUsage.objects.create(month=timezone.now().date().replace(day=1), credits_used=1234)
    trader = TraderFactory.create(email="trader@example.com")
    OrderFactory.create(user=trader, quantity=Decimal("0.1"))
    cache.set(LEADER_KEY, "web-1:4242:ab12", 30)
    SentEmail.objects.create(
        kind="verification", to="lost@example.com", subject="s", status="failed", error="SMTP 550"
    )
    client.force_login(staff_user)

    response = client.get(OVERVIEW)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Operations overview" in page
    assert "$5,000.00" in page  # volume today, as every page writes dollars
    assert "web-1:4242:ab12" in page
    assert "1,234 used of 10,000 (12.3%)" in page
    assert "lost@example.com" in page and "SMTP 550" in page
    assert 'data-audit="order_filled"' in page
    assert "?status__exact=open" in page


def test_the_page_says_when_no_feed_leads(client, staff_user):
    client.force_login(staff_user)

    page = client.get(OVERVIEW).content.decode()

    assert "none: no feed holds the lease" in page
    assert "None: every email in the last 24 hours was sent." in page
