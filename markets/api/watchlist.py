"""Watchlist API: the coins a signed-in user keeps an eye on, in the order added.

``GET /api/watchlist`` lists them, ``PUT /api/watchlist`` replaces the whole list,
``PUT /api/watchlist/<coin_id>`` adds one (adding it again changes nothing) and
``DELETE /api/watchlist/<coin_id>`` removes one. Every answer but the 204 is the list.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cryptovault.schema import ErrorSerializer
from markets import services
from markets.selectors import watchlist_coin_ids

# More ids than any deployment tracks: a longer list is a mistake, not a watchlist.
WATCHLIST_MAX_COINS = 500

RATE_LIMITED = OpenApiResponse(
    ErrorSerializer, description="Too many changes: `Retry-After` says when (`rate_limited`)."
)
UNKNOWN_COIN = OpenApiResponse(
    ErrorSerializer, description="No tracked coin has this id (`not_found`)."
)


class WatchlistSerializer(serializers.Serializer):
    """The watchlist: tracked coins' CoinGecko ids, in the order they were added."""

    coins = serializers.ListField(child=serializers.CharField())


def _watchlist(request: Request) -> Response:
    return Response({"coins": watchlist_coin_ids(user=request.user)})  # type: ignore[arg-type]


class WatchlistApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        coins = serializers.ListField(
            child=serializers.CharField(max_length=64),
            allow_empty=True,
            max_length=WATCHLIST_MAX_COINS,
            help_text="Coin ids in the order to keep; a repeated id counts once.",
        )

    @extend_schema(
        operation_id="watchlist_list",
        responses=WatchlistSerializer,
        summary="Your watchlist (coin ids in the order added)",
    )
    def get(self, request: Request) -> Response:
        return _watchlist(request)

    @extend_schema(
        operation_id="watchlist_replace",
        request=InputSerializer,
        responses={
            200: WatchlistSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="`coins` is missing, not a list of ids, or names a coin that "
                "is not tracked (`invalid`, `unknown_coin`); nothing changed.",
            ),
            429: RATE_LIMITED,
        },
        summary="Replace your watchlist with these coins, in this order",
    )
    def put(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.watchlist_replace(
            user=request.user,  # type: ignore[arg-type]
            coin_ids=data.validated_data["coins"],
        )
        return _watchlist(request)


class WatchlistCoinApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="watchlist_add",
        request=None,
        responses={200: WatchlistSerializer, 404: UNKNOWN_COIN, 429: RATE_LIMITED},
        summary="Watch a coin (again is fine: it keeps its place)",
    )
    def put(self, request: Request, coin_id: str) -> Response:
        services.watchlist_add(user=request.user, coin_id=coin_id)  # type: ignore[arg-type]
        return _watchlist(request)

    @extend_schema(
        operation_id="watchlist_remove",
        request=None,
        responses={204: None, 404: UNKNOWN_COIN, 429: RATE_LIMITED},
        summary="Stop watching a coin (one not watched is no error)",
    )
    def delete(self, request: Request, coin_id: str) -> Response:
        services.watchlist_remove(user=request.user, coin_id=coin_id)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)
