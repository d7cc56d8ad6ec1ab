from __future__ import annotations

from typing import Any

from django import forms

from cryptovault.money import amount_form_field, price_form_field
from markets.models import Coin
from trading.assets import asset_resolve
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


class TradeFilterForm(forms.Form):
    """A range of days (UTC): the trades page and its Ghostfolio export."""

    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="Before", widget=forms.DateInput(attrs={"type": "date"})
    )


class TransactionFilterForm(TradeFilterForm):
    field_order = ["kind", "asset", "since", "until"]

    kind = forms.ChoiceField(
        required=False,
        label="Type",
        choices=[("", "Any type"), *LedgerKind.choices],
    )
    asset = forms.CharField(
        required=False,
        max_length=64,
        label="Asset",
        widget=forms.TextInput(
            attrs={"list": "asset-choices", "autocomplete": "off", "placeholder": "BTC, ETH, USD…"}
        ),
    )

    def clean_asset(self) -> str:
        """What was typed (``BTC``, ``btc``, ``Bitcoin``, ``bitcoin``, ``usd``) as the
        ledger names it; an unknown asset is an error on the field, not an empty list."""
        name = self.cleaned_data.get("asset") or ""
        if not name:
            return ""
        asset = asset_resolve(name=name)
        if asset is None:
            raise forms.ValidationError(
                "No asset called %(name)s. Use USD or a coin's symbol, such as BTC.",
                code="unknown_asset",
                params={"name": name},
            )
        return asset
