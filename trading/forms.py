from __future__ import annotations

from typing import Any

from django import forms

from cryptovault.money import amount_form_field, price_form_field
from markets.models import Coin
from trading.models import LedgerKind, OrderType, Side

# Blank is allowed (the service says which amount an order needs); never negative.
OPTIONAL = {"required": False, "min_value": 0}


class OrderForm(forms.Form):
    coin = forms.ChoiceField(choices=())
    side = forms.ChoiceField(choices=Side.choices, widget=forms.RadioSelect, initial=Side.BUY)
    type = forms.ChoiceField(
        label="Order type",
        choices=OrderType.choices,
        initial=OrderType.MARKET,
    )
    quantity = amount_form_field(label="Quantity (coins)", **OPTIONAL)
    quote_amount = amount_form_field(
        label="or amount (USD, market buys)", help_text="Spend this much, fee included.", **OPTIONAL
    )
    limit_price = price_form_field(label="Limit price (USD)", **OPTIONAL)
    stop_price = price_form_field(label="Stop price (USD)", **OPTIONAL)

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
        choices=[("", "Any type"), *LedgerKind.choices],
    )
    asset = forms.CharField(required=False, max_length=64, label="Asset (USD or coin id)")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Up to, not including.",
    )
