"""What a person means by an asset: ``USD``, a coin's CoinGecko id, symbol or name.

The ledger stores ``USD`` or a CoinGecko id (``bitcoin``); people type what exchanges
show (``BTC``, ``btc``, ``usd``). Reads only.
"""

from __future__ import annotations

from django.db.models import F

from markets.models import Coin
from trading.models import USD


def asset_resolve(*, name: str) -> str | None:
    """The ledger's name for ``name`` (``"USD"`` or a coin id), or None if none matches.

    ``name`` is ``USD``, a coin id, a symbol or a coin's name, in any case. An id wins
    over a symbol (ids are unique, symbols are not), a symbol over a name; among coins
    sharing a symbol, a tracked coin wins, then the best ranked.
    """
    name = name.strip()
    if not name:
        return None
    if name.upper() == USD:
        return USD
    by_id = Coin.objects.filter(pk=name.lower()).values_list("pk", flat=True).first()
    if by_id is not None:
        return by_id
    by_symbol = (
        Coin.objects.filter(symbol__iexact=name)
        .order_by("-is_tracked", F("rank").asc(nulls_last=True), "pk")
        .values_list("pk", flat=True)
        .first()
    )
    if by_symbol is not None:
        return by_symbol
    return Coin.objects.filter(name__iexact=name).values_list("pk", flat=True).first()
