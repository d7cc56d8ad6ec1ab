"""Markets API: prices, details and history of the tracked coins (public, read-only)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cryptovault.errors import DomainError
from cryptovault.money import PlainDecimalField, price_field
from markets.board import prices_board
from markets.board_row import BoardRead
from markets.history import HISTORY_DAYS, coin_detail, coin_history
from markets.selectors import coin_tracked


class CoinPriceSerializer(serializers.Serializer):
    """A :class:`~markets.board_row.BoardRow` on the wire (its fields, in its order)."""

    id = serializers.CharField()
    symbol = serializers.CharField()
    name = serializers.CharField()
    image = serializers.CharField(allow_blank=True)
    # Decimal strings in plain notation; a price with its significant digits
    # ("0.000000001206"), at least 8 places ("64250.12000000").
    price_usd = price_field(allow_null=True)
    change_24h_pct = PlainDecimalField(max_digits=12, decimal_places=4, allow_null=True)
    market_cap = PlainDecimalField(max_digits=30, decimal_places=8, allow_null=True)
    volume_24h = PlainDecimalField(max_digits=30, decimal_places=8, allow_null=True)
    last_updated = serializers.DateTimeField(allow_null=True)
    # A field named "source" is fine at runtime; the stubs confuse it with Field.source.
    source = serializers.ChoiceField(choices=["coingecko", "stale", "simulated"])  # type: ignore[assignment]


class CryptoListSerializer(serializers.Serializer):
    coins = CoinPriceSerializer(many=True)
    cached = serializers.BooleanField()


class CoinDetailSerializer(CoinPriceSerializer):
    description = serializers.CharField(allow_blank=True)
    circulating_supply = PlainDecimalField(max_digits=40, decimal_places=8, allow_null=True)
    total_supply = PlainDecimalField(max_digits=40, decimal_places=8, allow_null=True)
    max_supply = PlainDecimalField(max_digits=40, decimal_places=8, allow_null=True)
    ath = price_field(allow_null=True)
    ath_date = serializers.DateTimeField(allow_null=True)
    links = serializers.DictField(child=serializers.CharField(allow_null=True))


class CandleSerializer(serializers.Serializer):
    time = serializers.IntegerField(help_text="Candle close, seconds since the epoch.")
    open = serializers.FloatField()
    high = serializers.FloatField()
    low = serializers.FloatField()
    close = serializers.FloatField()


class HistorySerializer(serializers.Serializer):
    coin = serializers.CharField()
    days = serializers.IntegerField()
    prices = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField()),
        help_text="[[milliseconds since the epoch, price], ...]",
    )
    candles = CandleSerializer(many=True)
    # A field named "source" is fine at runtime; the stubs confuse it with Field.source.
    source = serializers.ChoiceField(choices=["coingecko", "stale", "simulated"])  # type: ignore[assignment]


def history_days(value: str | None) -> int:
    """``days`` from a query string, or a 400 listing the allowed values."""
    allowed = ", ".join(str(d) for d in HISTORY_DAYS)
    try:
        days = int(value or "")
    except ValueError:
        days = 0
    if days not in HISTORY_DAYS:
        raise DomainError("invalid_days", f"days must be one of {allowed}.", field="days")
    return days


_rendered: tuple[tuple[str, str, bool], bytes] | None = None


def _crypto_json(board: BoardRead) -> bytes:
    """The /api/crypto body, rendered once per board and process: the hot path is a
    cache read and a memo lookup."""
    global _rendered
    key = (board["at"], board["source"], board["cached"])
    if _rendered is None or _rendered[0] != key:
        body = {"coins": board["coins"], "cached": board["cached"]}
        _rendered = (key, json.dumps(body, separators=(",", ":")).encode())
    return _rendered[1]


class PublicReadApi(APIView):
    """Public market data: nobody needs to be identified, so no session or token is read."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]


class FirstRendererNegotiation(BaseContentNegotiation):
    """The first renderer, whatever the client accepts: for a view that answers bytes
    it rendered itself, so parsing the Accept header would decide nothing."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: Any, format_suffix: Any = None) -> Any:
        return (renderers[0], renderers[0].media_type)


class CryptoListApi(PublicReadApi):
    # The hottest read: a memo lookup and bytes rendered once per board. DRF's Accept
    # parsing and its (empty) authentication are skipped, the two costs of this view
    # beside a plain Django view (bench/markets_http.py). (A docstring here would be
    # the operation's description in the API docs.)
    content_negotiation_class = FirstRendererNegotiation
    renderer_classes = [JSONRenderer]

    def perform_authentication(self, request: Request) -> None:
        """Nothing to authenticate (no authentication classes): not even the lookup."""

    @extend_schema(
        operation_id="crypto_list",
        responses=CryptoListSerializer,
        summary="Prices of every tracked coin",
    )
    def get(self, request: Request) -> HttpResponse:
        return HttpResponse(_crypto_json(prices_board()), content_type="application/json")


class CryptoDetailApi(PublicReadApi):
    @extend_schema(
        operation_id="crypto_detail",
        responses=CoinDetailSerializer,
        summary="One coin's price and details",
    )
    def get(self, request: Request, coin_id: str) -> Response:
        return Response(coin_detail(coin_id=coin_id))


class CryptoHistoryApi(PublicReadApi):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "days",
                OpenApiTypes.INT,
                enum=list(HISTORY_DAYS),
                required=True,
                description="Range of the chart in days.",
            )
        ],
        operation_id="crypto_history",
        responses=HistorySerializer,
        summary="Price history and OHLC candles for a chart",
    )
    def get(self, request: Request, coin_id: str) -> Response:
        coin = coin_tracked(coin_id=coin_id)
        days = history_days(request.query_params.get("days"))
        return Response(coin_history(coin_id=coin.id, days=days))
