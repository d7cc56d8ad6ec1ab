"""Markets API: prices, details and history of the tracked coins (public, read-only)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from markets import prices


class CoinPriceSerializer(serializers.Serializer):
    id = serializers.CharField()
    symbol = serializers.CharField()
    name = serializers.CharField()
    image = serializers.CharField(allow_blank=True)
    price_usd = serializers.DecimalField(max_digits=28, decimal_places=8, allow_null=True)
    change_24h_pct = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    market_cap = serializers.DecimalField(max_digits=30, decimal_places=8, allow_null=True)
    volume_24h = serializers.DecimalField(max_digits=30, decimal_places=8, allow_null=True)
    last_updated = serializers.DateTimeField(allow_null=True)
    # A field named "source" is fine at runtime; the stubs confuse it with Field.source.
    source = serializers.ChoiceField(choices=["coingecko", "stale", "simulated"])  # type: ignore[assignment]
    age_seconds = serializers.FloatField(allow_null=True)


class CryptoListSerializer(serializers.Serializer):
    coins = CoinPriceSerializer(many=True)
    cached = serializers.BooleanField()


class CoinDetailSerializer(CoinPriceSerializer):
    description = serializers.CharField(allow_blank=True)
    circulating_supply = serializers.DecimalField(max_digits=40, decimal_places=8, allow_null=True)
    total_supply = serializers.DecimalField(max_digits=40, decimal_places=8, allow_null=True)
    max_supply = serializers.DecimalField(max_digits=40, decimal_places=8, allow_null=True)
    ath = serializers.DecimalField(max_digits=28, decimal_places=8, allow_null=True)
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


def _public_row(row: dict) -> dict:
    return {key: value for key, value in row.items() if key != "sparkline_7d"} | {
        "age_seconds": prices.price_age_seconds(row)
    }


class PublicReadApi(APIView):
    permission_classes = [AllowAny]


class CryptoListApi(PublicReadApi):
    @extend_schema(responses=CryptoListSerializer, summary="Prices of every tracked coin")
    def get(self, request: Request) -> Response:
        board = prices.prices_board()
        return Response(
            {"coins": [_public_row(row) for row in board["coins"]], "cached": board["cached"]}
        )


class CryptoDetailApi(PublicReadApi):
    @extend_schema(responses=CoinDetailSerializer, summary="One coin's price and details")
    def get(self, request: Request, coin_id: str) -> Response:
        return Response(_public_row(prices.coin_detail(coin_id)))


class CryptoHistoryApi(PublicReadApi):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "days",
                OpenApiTypes.INT,
                enum=list(prices.HISTORY_DAYS),
                required=True,
                description="Range of the chart in days.",
            )
        ],
        responses=HistorySerializer,
        summary="Price history and OHLC candles for a chart",
    )
    def get(self, request: Request, coin_id: str) -> Response:
        coin = prices.coin_tracked(coin_id)
        days = prices.history_days(request.query_params.get("days"))
        return Response(prices.coin_history(coin.id, days))
