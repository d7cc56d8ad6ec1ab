"""Money is stored, compared and summed exactly on SQLite and PostgreSQL (issue 12).

Run in both modes: embedded (``cryptovault.db.sqlite3``) and with ``DATABASE_URL`` set
to PostgreSQL. The tests about SQLite's own storage are skipped on PostgreSQL.
"""

from __future__ import annotations

import functools
import random
import sqlite3
from contextlib import contextmanager
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DataError, connection, connections, transaction

from accounts.tests.factories import UserFactory
from cryptovault.db.sqlite3.base import decimal_collate
from markets.models import Coin, PriceTick
from markets.tests.factories import PriceTickFactory
from trading.models import Balance, LedgerEntry, Order
from trading.selectors import ledger_sums
from trading.tests.factories import TraderFactory

pytestmark = pytest.mark.django_db
D = Decimal
BIG = D("1234567890123.12345678")  # 21 significant digits: a float keeps 15-17
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own storage")


def _user(email: str = "money@example.com"):
    return UserFactory.create(email=email, name="Money")


def _order(user, **fields) -> Order:
    values = {"coin_id": "bitcoin", "side": "buy", "type": "limit", "quantity": D("1")}
    return Order.objects.create(user=user, **{**values, **fields})


def test_a_balance_and_a_ledger_entry_keep_21_significant_digits():
    user = _user()
    Balance.objects.create(user=user, asset="USD", available=BIG, held=D("0.00000001"))
    LedgerEntry.objects.create(
        user=user, asset="USD", kind="deposit", amount=BIG, balance_after=BIG
    )

    balance = Balance.objects.get(user=user)
    entry = LedgerEntry.objects.get(user=user)

    assert (balance.available, balance.held) == (BIG, D("0.00000001"))
    assert str(balance.available) == "1234567890123.12345678"
    assert (entry.amount, entry.balance_after) == (BIG, BIG)
    assert Balance.objects.filter(available=BIG).count() == 1
    assert Balance.objects.filter(available=BIG + D("0.00000001")).count() == 0


def test_the_largest_amount_a_column_holds_round_trips_and_a_larger_one_is_refused():
    user = _user()
    largest = D("99999999999999999999.99999999")
    Balance.objects.create(user=user, asset="USD", available=largest)

    assert Balance.objects.get(user=user).available == largest
    with pytest.raises(DataError), transaction.atomic():
        Balance.objects.create(user=user, asset="bitcoin", available=D("100000000000000000000"))


def test_amounts_are_rounded_half_up_to_8_places_as_numeric_does():
    user = _user()
    Balance.objects.create(user=user, asset="USD", available=D("1.000000005"))

    assert Balance.objects.get(user=user).available == D("1.00000001")


def test_check_ledger_sums_10000_awkward_amounts_exactly():
    """SQLite's SUM is floating point: 990.99895618 came out 990.998956180001."""
    user = _user()
    rng = random.Random(12)
    amounts = [D(rng.randrange(1, 10**12)).scaleb(-8) for _ in range(10_000)]
    amounts += [BIG, D("990.99895618"), D("0.00000001")]
    total = sum(amounts, D(0))
    LedgerEntry.objects.bulk_create(
        LedgerEntry(user=user, asset="USD", kind="deposit", amount=a, balance_after=a)
        for a in amounts
    )
    Balance.objects.create(user=user, asset="USD", available=total)
    out = StringIO()

    call_command("check_ledger", stdout=out)

    assert "Ledger OK: 1 balance(s)" in out.getvalue()
    assert ledger_sums()[(user.pk, "USD")] == (total, D(0))


def test_check_ledger_finds_a_balance_off_by_the_last_place_past_15_digits():
    user = _user()
    LedgerEntry.objects.create(
        user=user, asset="USD", kind="deposit", amount=BIG, balance_after=BIG
    )
    Balance.objects.create(user=user, asset="USD", available=BIG + D("0.00000001"))
    err = StringIO()

    with pytest.raises(CommandError, match="1 balance"):
        call_command("check_ledger", stderr=err)

    assert "1234567890123.12345679 available" in err.getvalue()
    assert "ledger 1234567890123.12345678" in err.getvalue()


def test_holds_and_releases_make_the_held_sum():
    user = _user()
    for kind, amount in [("deposit", "10"), ("hold", "-3.33333333"), ("release", "1.11111111")]:
        LedgerEntry.objects.create(
            user=user, asset="USD", kind=kind, amount=D(amount), balance_after=D(0)
        )

    assert ledger_sums()[(user.pk, "USD")] == (D("7.77777778"), D("2.22222222"))


def test_price_comparisons_and_ordering_are_exact_past_the_15th_digit():
    user = _user()
    low = _order(user, limit_price=D("1.000000000000000001"))
    high = _order(user, limit_price=D("1.000000000000000002"))
    ten = _order(user, limit_price=D("10"))
    nine = _order(user, limit_price=D("9.5"))
    open_limits = Order.objects.filter(status="open", type="limit")

    assert set(open_limits.filter(limit_price__gte=D("1.000000000000000002"))) == {high, ten, nine}
    assert set(open_limits.filter(limit_price__lt=D("1.000000000000000002"))) == {low}
    assert set(open_limits.filter(limit_price=D("1.0000000000000000010"))) == {low}
    assert list(open_limits.order_by("limit_price")) == [low, high, nine, ten]
    assert list(open_limits.order_by("-limit_price")) == [ten, nine, high, low]


def test_amount_comparisons_are_exact_past_the_15th_digit():
    user = _user()
    Balance.objects.create(user=user, asset="USD", available=BIG)
    Balance.objects.create(user=user, asset="bitcoin", available=BIG - D("0.00000001"))

    assert list(Balance.objects.filter(available__gte=BIG).values_list("asset", flat=True)) == [
        "USD"
    ]
    assert list(Balance.objects.order_by("available").values_list("asset", flat=True)) == [
        "bitcoin",
        "USD",
    ]


def test_a_tiny_price_is_stored_exactly():
    coin = Coin.objects.get(pk="dogecoin")
    tick = PriceTickFactory.create(coin=coin, price=D("1.206E-9"))
    user = _user()
    order = _order(user, coin=coin, limit_price=D("0.000000474762"))

    assert PriceTick.objects.get(pk=tick.pk).price == D("0.000000001206")
    assert Order.objects.get(pk=order.pk).limit_price == D("0.000000474762")
    assert PriceTick.objects.filter(price__gt=D("0.000000001205")).count() == 1
    assert PriceTick.objects.filter(price__gt=D("0.000000001206")).count() == 0


def test_orders_at_a_tiny_price_keep_it_and_the_ledger_stays_exact(settings_trading, prices):
    from trading.services import order_place

    settings_trading.RATELIMIT_ENABLE = False
    trader = TraderFactory.create()
    PriceTickFactory.create(coin_id="dogecoin", price=D("0.000000474762"))

    bought = order_place(
        user=trader, coin_id="dogecoin", side="buy", type="market", quantity=D("123456789.1")
    ).order
    order_place(
        user=trader,
        coin_id="dogecoin",
        side="sell",
        type="limit",
        quantity=D("100000000"),
        limit_price=D("0.0000005"),
    )

    assert Order.objects.get(pk=bought.pk).average_price == D("0.000000474762")
    assert Order.objects.get(type="limit").limit_price == D("0.0000005")
    # 123456789.1 x 0.000000474762 = 58.61261... USD, and its fee
    assert bought.fee > 0
    call_command("check_ledger", stdout=StringIO())


# --- SQLite's own storage ------------------------------------------------------------


@sqlite_only
def test_sqlite_stores_decimals_as_plain_text():
    user = _user()
    Balance.objects.create(user=user, asset="USD", available=BIG, held=D("1E-8"))
    PriceTickFactory.create(coin_id="dogecoin", price=D("1.206E-9"))

    with connection.cursor() as cursor:
        cursor.execute("SELECT available, typeof(available), held FROM trading_balance")
        stored = cursor.fetchone()
        cursor.execute("SELECT price FROM markets_pricetick WHERE coin_id = 'dogecoin'")
        price = cursor.fetchone()[0]

    assert stored == ("1234567890123.12345678", "text", "0.00000001")
    assert price == "0.000000001206000000"


@sqlite_only
def test_a_negative_balance_is_refused_by_the_check_constraint():
    from django.db import IntegrityError

    user = _user()
    with pytest.raises(IntegrityError), transaction.atomic():
        Balance.objects.create(user=user, asset="USD", available=D("-0.00000001"))


@sqlite_only
def test_the_open_order_indexes_serve_price_lookups():
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM trading_order WHERE coin_id = %s AND side = %s "
            "AND limit_price >= %s AND status = 'open' AND type = 'limit'",
            ["bitcoin", "buy", "1.5"],
        )
        plan = " ".join(str(row) for row in cursor.fetchall())

    assert "order_open_limit" in plan


def test_the_decimal_collation_orders_by_value():
    texts = ["10", "9.5", "1.000000000000000002", "-1", "0E-8", "1.0", "abc", "1", "-0.5"]

    ordered = sorted(texts, key=functools.cmp_to_key(decimal_collate))

    assert ordered[:3] == ["-1", "-0.5", "0E-8"]
    assert ordered[3:5] in (["1.0", "1"], ["1", "1.0"])  # equal values
    assert ordered[5:] == ["1.000000000000000002", "9.5", "10", "abc"]
    assert decimal_collate("1.0", "1.00000000") == 0
    assert decimal_collate("abc", "abd") == -1


@contextmanager
def _database(wrapper_class, settings_dict, alias):
    """A connection to another database file under ``alias`` (migrations look it up)."""
    wrapper = wrapper_class(settings_dict, alias=alias)
    handler: Any = connections  # its per-thread connections: no public way to add one
    setattr(handler._connections, alias, wrapper)
    try:
        yield wrapper
    finally:
        wrapper.close()
        delattr(handler._connections, alias)


@sqlite_only
def test_an_older_embedded_database_migrates_forward(tmp_path):
    """A var/db.sqlite3 made by the previous version (Django's SQLite: NUMERIC columns
    holding floats) gets text columns and plain values, and its orders still match."""
    from django.db.backends.sqlite3.base import DatabaseWrapper as StockSqlite
    from django.db.migrations.executor import MigrationExecutor

    from cryptovault.db.sqlite3.base import DatabaseWrapper

    settings_dict = {**connection.settings_dict, "NAME": str(tmp_path / "old.sqlite3")}
    before = [("trading", "0001_initial"), ("markets", "0003_quota_usage")]
    with _database(StockSqlite, settings_dict, "old_version") as old:
        MigrationExecutor(old).migrate(before)
        with old.cursor() as cursor:
            cursor.execute(
                "INSERT INTO accounts_user (password, is_superuser, email, name, is_staff, "
                "is_active, date_joined) VALUES "
                "('x', 0, 'old@example.com', 'Old', 0, 1, '2026-01-01')"
            )
            user_id = cursor.lastrowid
            # The seed migration writes through the default connection: coins by hand.
            for coin_id in ("bitcoin", "dogecoin"):
                cursor.execute(
                    "INSERT OR IGNORE INTO markets_coin (id, symbol, name, image_url, rank, "
                    "is_tracked) VALUES (%s, %s, %s, '', 1, 1)",
                    [coin_id, coin_id[:3], coin_id],
                )
            cursor.execute(
                "INSERT INTO trading_balance (user_id, asset, available, held, updated_at) "
                "VALUES (%s, 'USD', %s, %s, '2026-01-01')",
                [user_id, "990.99895618", "0.5"],
            )
            cursor.execute(
                "INSERT INTO trading_order (user_id, coin_id, side, type, status, quantity, "
                "limit_price, held_amount, filled_quantity, fee, reject_reason, created_at) "
                "VALUES (%s, 'bitcoin', 'buy', 'limit', 'open', '1', '64250.12', '0.5', '0', "
                "'0', '', '2026-01-01')",
                [user_id],
            )
            cursor.execute(
                "INSERT INTO markets_pricetick (coin_id, price, source, at) "
                "VALUES ('dogecoin', '0.00000123', 'coingecko', '2026-01-01')"
            )
            cursor.execute("SELECT typeof(available), typeof(held) FROM trading_balance")
            assert cursor.fetchone() == ("real", "real")

    with _database(DatabaseWrapper, settings_dict, "new_version") as new:
        executor = MigrationExecutor(new)
        executor.migrate(executor.loader.graph.leaf_nodes())
        with new.cursor() as cursor:
            cursor.execute("SELECT available, typeof(available), held FROM trading_balance")
            balance = cursor.fetchone()
            cursor.execute("SELECT limit_price, held_amount FROM trading_order")
            order = cursor.fetchone()
            cursor.execute("SELECT price FROM markets_pricetick")
            tick = cursor.fetchone()[0]
            cursor.execute(
                "SELECT count(*) FROM trading_order WHERE limit_price >= %s", ["64250.119"]
            )
            crossed = cursor.fetchone()[0]
            cursor.execute("PRAGMA table_info(trading_ledgerentry)")
            types = {row[1]: row[2] for row in cursor.fetchall()}

    assert balance == ("990.99895618", "text", "0.50000000")
    assert order == ("64250.120000000000000000", "0.50000000")
    assert tick == "0.000001230000000000"
    assert crossed == 1
    assert types["amount"] == types["balance_after"] == "decimal_text"


def test_sqlite3_module_binds_a_decimal_in_plain_notation():
    """Raw SQL with a Decimal parameter: the text bound has no exponent."""
    db = sqlite3.connect(":memory:")
    try:
        assert db.execute("SELECT ?", [D("1.206E-9")]).fetchone()[0] == "0.000000001206"
    finally:
        db.close()
