"""API shapes of trading (SPEC §7): decimal strings, ISO times."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from trading.models import Balance, LedgerEntry, Order


class OrderSerializer(serializers.ModelSerializer[Order]):
    coin = serializers.CharField(source="coin_id")

    class Meta:
        model = Order
        fields = [
            "id",
            "coin",
            "side",
            "type",
            "status",
            "quantity",
            "quote_amount",
            "limit_price",
            "stop_price",
            "filled_quantity",
            "average_price",
            "fee",
            "client_order_id",
            "created_at",
            "filled_at",
            "cancelled_at",
        ]


class BalanceSerializer(serializers.ModelSerializer[Balance]):
    class Meta:
        model = Balance
        fields = ["asset", "available", "held"]


class TransactionSerializer(serializers.ModelSerializer[LedgerEntry]):
    order = serializers.IntegerField(source="order_id", read_only=True, allow_null=True)

    class Meta:
        model = LedgerEntry
        fields = ["id", "kind", "asset", "amount", "balance_after", "order", "at"]


def _amount() -> serializers.DecimalField:
    """A number from a client, in the range and places the ledger stores (trading.money);
    amounts made from it (quantity x price, the fee, the hold) are checked by the service."""
    return serializers.DecimalField(
        max_digits=settings.MONEY_MAX_DIGITS,
        decimal_places=settings.MONEY_DECIMAL_PLACES,
        required=False,
        allow_null=True,
    )


class OrderInputSerializer(serializers.Serializer):
    coin = serializers.CharField(max_length=64)
    side = serializers.ChoiceField(choices=["buy", "sell"])
    type = serializers.ChoiceField(choices=["market", "limit", "stop"])
    quantity = _amount()
    quote_amount = _amount()
    limit_price = _amount()
    stop_price = _amount()
    client_order_id = serializers.CharField(
        max_length=64, required=False, allow_null=True, allow_blank=True
    )


class HoldingSerializer(serializers.Serializer):
    coin = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=28, decimal_places=8)
    average_cost = serializers.DecimalField(max_digits=28, decimal_places=8)
    price = serializers.DecimalField(max_digits=28, decimal_places=8, allow_null=True)
    value = serializers.DecimalField(max_digits=28, decimal_places=8)
    unrealized_pnl = serializers.DecimalField(max_digits=28, decimal_places=8)
    unrealized_pnl_pct = serializers.DecimalField(max_digits=28, decimal_places=4, allow_null=True)
    allocation_pct = serializers.DecimalField(max_digits=28, decimal_places=4, allow_null=True)


class PortfolioSerializer(serializers.Serializer):
    cash_usd = serializers.DecimalField(max_digits=28, decimal_places=8)
    total_value_usd = serializers.DecimalField(max_digits=28, decimal_places=8)
    realized_pnl = serializers.DecimalField(max_digits=28, decimal_places=8)
    unrealized_pnl = serializers.DecimalField(max_digits=28, decimal_places=8)
    holdings = HoldingSerializer(many=True)
