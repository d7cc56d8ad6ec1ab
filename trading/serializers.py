"""API shapes of trading (SPEC §7): decimal strings in plain notation, ISO times.

Amounts (quantities, USD, fees, balances) are shown with 8 places
(``"4995.00000000"``); unit prices with their significant digits, at least 8
(``"50000.00000000"``, ``"0.000000001206"``). No decimal string has an exponent
(``cryptovault.money``).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import serializers

from cryptovault.money import PlainDecimalField, amount_field, percent_field, price_field
from trading.models import Balance, LedgerEntry, Order, OrderType, Side


class PlainDecimalsModelSerializer(serializers.ModelSerializer):
    """Every model ``DecimalField`` out as a ``PlainDecimalField`` (never ``"1E-8"``)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DecimalField: PlainDecimalField,
    }


class OrderSerializer(PlainDecimalsModelSerializer):
    coin = serializers.CharField(source="coin_id")
    limit_price = price_field(read_only=True, allow_null=True)
    stop_price = price_field(read_only=True, allow_null=True)
    average_price = price_field(read_only=True, allow_null=True)

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


class BalanceSerializer(PlainDecimalsModelSerializer):
    class Meta:
        model = Balance
        fields = ["asset", "available", "held"]


class TransactionSerializer(PlainDecimalsModelSerializer):
    order = serializers.IntegerField(source="order_id", read_only=True, allow_null=True)

    class Meta:
        model = LedgerEntry
        fields = ["id", "kind", "asset", "amount", "balance_after", "order", "at"]


def _input(field: Any) -> Any:
    """A number from a client, in the range and places its column stores; amounts made
    from it (quantity x price, the fee, the hold) are checked by the service."""
    return field(required=False, allow_null=True)


# An order as POST /api/orders takes it; its validated data are order_place's keyword
# arguments (coin arrives as coin_id). A comment, not a docstring: drf-spectacular would
# publish a docstring in the schema.
class OrderInputSerializer(serializers.Serializer):
    coin = serializers.CharField(max_length=64, source="coin_id")
    side = serializers.ChoiceField(choices=Side.choices)
    type = serializers.ChoiceField(choices=OrderType.choices)
    quantity = _input(amount_field)
    quote_amount = _input(amount_field)
    limit_price = _input(price_field)
    stop_price = _input(price_field)
    client_order_id = serializers.CharField(
        max_length=64, required=False, allow_null=True, allow_blank=True
    )


class HoldingSerializer(serializers.Serializer):
    coin = serializers.CharField()
    quantity = amount_field()
    average_cost = price_field()
    price = price_field(allow_null=True)
    value = amount_field()
    unrealized_pnl = amount_field()
    unrealized_pnl_pct = percent_field(allow_null=True)
    allocation_pct = percent_field(allow_null=True)


class PortfolioSerializer(serializers.Serializer):
    cash_usd = amount_field()
    total_value_usd = amount_field()
    realized_pnl = amount_field()
    unrealized_pnl = amount_field()
    holdings = HoldingSerializer(many=True)
