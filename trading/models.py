"""Trading: balances per asset, the immutable ledger behind them, and orders.

Every change of a balance is a ledger entry. ``amount`` is the change of the
``available`` balance; ``hold`` entries move money from available to held and
``release`` entries move it back, so for each balance:

    available == sum(entry.amount)
    held      == -sum(entry.amount for hold and release entries)

``python manage.py check_ledger`` proves both for every balance.

Amounts are ``amount_model_field`` columns (8 places), unit prices
``price_model_field`` columns (18 places), both from ``cryptovault.money``; they are
exact on PostgreSQL and on the embedded SQLite (``cryptovault.db.sqlite3``).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from cryptovault.money import amount_model_field, price_model_field

USD = "USD"


class Balance(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="balances"
    )
    asset = models.CharField(max_length=64, help_text="USD or a CoinGecko coin id.")
    available = amount_model_field(default=Decimal(0))
    held = amount_model_field(default=Decimal(0))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user", "asset"]
        constraints = [
            models.UniqueConstraint(fields=["user", "asset"], name="balance_one_per_user_asset"),
            models.CheckConstraint(
                condition=Q(available__gte=0), name="balance_available_not_negative"
            ),
            models.CheckConstraint(condition=Q(held__gte=0), name="balance_held_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.asset}: {self.available} (+{self.held} held)"


class LedgerKind(models.TextChoices):
    DEPOSIT = "deposit", "Deposit"
    TRADE = "trade", "Trade"
    FEE = "fee", "Fee"
    HOLD = "hold", "Hold"
    RELEASE = "release", "Release"


class LedgerEntry(models.Model):
    """Immutable: written once by the services, never updated or deleted."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ledger"
    )
    asset = models.CharField(max_length=64)
    kind = models.CharField(max_length=10, choices=LedgerKind.choices)
    amount = amount_model_field(help_text="Signed change of the available balance.")
    balance_after = amount_model_field(help_text="Available balance after this entry.")
    order = models.ForeignKey(
        "Order", on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["user", "asset", "at"], name="ledger_user_asset_at")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.asset}"


class Side(models.TextChoices):
    BUY = "buy", "Buy"
    SELL = "sell", "Sell"


class OrderType(models.TextChoices):
    MARKET = "market", "Market"
    LIMIT = "limit", "Limit"
    STOP = "stop", "Stop"


class OrderStatus(models.TextChoices):
    OPEN = "open", "Open"
    FILLED = "filled", "Filled"
    CANCELLED = "cancelled", "Cancelled"
    REJECTED = "rejected", "Rejected"


class Order(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    coin = models.ForeignKey("markets.Coin", on_delete=models.PROTECT, related_name="orders")
    side = models.CharField(max_length=4, choices=Side.choices)
    type = models.CharField(max_length=6, choices=OrderType.choices)
    status = models.CharField(max_length=9, choices=OrderStatus.choices, default=OrderStatus.OPEN)
    quantity = amount_model_field(null=True, blank=True)
    quote_amount = amount_model_field(
        null=True, blank=True, help_text="USD to spend (market buys)."
    )
    limit_price = price_model_field(null=True, blank=True)
    stop_price = price_model_field(null=True, blank=True)
    held_amount = amount_model_field(
        default=Decimal(0), help_text="Held while open (USD for buys, coin for sells)."
    )
    filled_quantity = amount_model_field(default=Decimal(0))
    average_price = price_model_field(null=True, blank=True)
    fee = amount_model_field(default=Decimal(0))
    # NULL, not "", when absent: the per-user uniqueness only applies to given ids.
    client_order_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    reject_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    filled_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "client_order_id"],
                condition=Q(client_order_id__isnull=False),
                name="order_client_id_unique_per_user",
            ),
        ]
        indexes = [
            # on_tick finds crossed orders by price through these, never by a scan.
            models.Index(
                fields=["coin", "side", "limit_price"],
                condition=Q(status=OrderStatus.OPEN, type=OrderType.LIMIT),
                name="order_open_limit",
            ),
            models.Index(
                fields=["coin", "side", "stop_price"],
                condition=Q(status=OrderStatus.OPEN, type=OrderType.STOP),
                name="order_open_stop",
            ),
            models.Index(fields=["user", "status", "created_at"], name="order_user_status"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.side} {self.type} {self.coin_id} ({self.status})"

    @property
    def notional(self) -> Decimal | None:
        if self.average_price is None:
            return None
        return self.filled_quantity * self.average_price
