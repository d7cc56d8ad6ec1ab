from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from markets.models import Coin

# What the ledger stores (trading.money); amounts made from these are checked by the service.
DECIMAL: dict[str, Any] = {
    "max_digits": settings.MONEY_MAX_DIGITS,
    "decimal_places": settings.MONEY_DECIMAL_PLACES,
    "required": False,
    "min_value": 0,
}
# A unit price: the places of the price columns (a coin at $0.000000001206 is not 0).
PRICE: dict[str, Any] = {
    **DECIMAL,
    "max_digits": settings.PRICE_MAX_DIGITS,
    "decimal_places": settings.PRICE_DECIMAL_PLACES,
}


class OrderForm(forms.Form):
    coin = forms.ChoiceField(choices=())
    side = forms.ChoiceField(
        choices=[("buy", "Buy"), ("sell", "Sell")], widget=forms.RadioSelect, initial="buy"
    )
    type = forms.ChoiceField(
        label="Order type",
        choices=[("market", "Market"), ("limit", "Limit"), ("stop", "Stop")],
        initial="market",
    )
    quantity = forms.DecimalField(label="Quantity (coins)", **DECIMAL)
    quote_amount = forms.DecimalField(
        label="or amount (USD, market buys)", help_text="Spend this much, fee included.", **DECIMAL
    )
    limit_price = forms.DecimalField(label="Limit price (USD)", **PRICE)
    stop_price = forms.DecimalField(label="Stop price (USD)", **PRICE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        coin_field = self.fields["coin"]
        assert isinstance(coin_field, forms.ChoiceField)
        coin_field.choices = [
            (coin.id, f"{coin.name} ({coin.symbol.upper()})")
            for coin in Coin.objects.filter(is_tracked=True)
        ]
        for name in ("quantity", "quote_amount", "limit_price", "stop_price"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "step": "any"})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("quantity") is None and data.get("quote_amount") is None:
            self.add_error("quantity", "Enter a quantity (or an amount for a market buy).")
        return data


class TransactionFilterForm(forms.Form):
    kind = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Any type"),
            ("deposit", "Deposit"),
            ("trade", "Trade"),
            ("fee", "Fee"),
            ("hold", "Hold"),
            ("release", "Release"),
        ],
    )
    asset = forms.CharField(required=False, max_length=64, label="Asset (USD or coin id)")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Up to, not including.",
    )
