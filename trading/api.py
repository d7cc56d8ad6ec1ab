"""Trading API (SPEC §4, §7): balances, orders, portfolio, transactions.

A user only ever sees their own objects: every query starts from ``request.user``,
so another user's order id answers 404 like a missing one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cryptovault.dates import parse_day_or_moment
from cryptovault.money import amount_field, price_field
from trading import selectors, services
from trading.assets import asset_resolve
from trading.exports import trades_csv, transactions_csv
from trading.models import LedgerEntry, LedgerKind, Order, OrderStatus
from trading.portfolio import (
    HISTORY_POINTS,
    HISTORY_RANGE_DEFAULT,
    HISTORY_RANGES,
    portfolio_for,
    portfolio_history,
)
from trading.quotes import order_quote
from trading.serializers import (
    BalanceSerializer,
    OrderInputSerializer,
    OrderSerializer,
    PortfolioSerializer,
    TransactionSerializer,
)
from trading.trades import trades_for


class BalancesApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=BalanceSerializer(many=True), summary="Your balances")
    def get(self, request: Request) -> Response:
        balances = selectors.balances_for(user=request.user)  # type: ignore[arg-type]
        return Response(BalanceSerializer(balances, many=True).data)


_order_serializer: OrderSerializer | None = None


def _order_shape() -> OrderSerializer:
    """One OrderSerializer for every placed order: its fields are built once, not per
    request (it holds no state between calls)."""
    global _order_serializer
    if _order_serializer is None:
        _order_serializer = OrderSerializer()
    return _order_serializer


class OrdersApi(generics.ListAPIView[Order]):
    permission_classes = [IsAuthenticated]
    serializer_class = OrderSerializer

    def get_queryset(self) -> Any:
        status_ = self.request.query_params.get("status") or None
        if status_ and status_ not in OrderStatus.values:
            raise ValidationError(
                {"status": [f"status must be one of {', '.join(OrderStatus.values)}."]}
            )
        return selectors.orders_for(
            user=self.request.user,  # type: ignore[arg-type]
            status=status_,
            coin=self.request.query_params.get("coin") or None,
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=OrderStatus.values),
            OpenApiParameter("coin", str),
        ],
        summary="Your orders, newest first",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=OrderInputSerializer,
        responses={201: OrderSerializer, 200: OrderSerializer},
        summary="Place an order (idempotent on client_order_id)",
    )
    def post(self, request: Request) -> Response:
        data = OrderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        placed = services.order_place(user=request.user, **data.validated_data)  # type: ignore[arg-type]
        return Response(
            _order_shape().to_representation(placed.order),
            status=status.HTTP_201_CREATED if placed.created else status.HTTP_200_OK,
        )


class OrderApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OrderSerializer, summary="One of your orders")
    def get(self, request: Request, order_id: int) -> Response:
        order = selectors.orders_for(user=request.user).filter(pk=order_id).first()  # type: ignore[arg-type]
        if order is None:
            raise NotFound("No such order.")
        return Response(OrderSerializer(order).data)


class OrderCancelApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None, responses=OrderSerializer, summary="Cancel an open order (409 otherwise)"
    )
    def post(self, request: Request, order_id: int) -> Response:
        order = services.order_cancel(user=request.user, order_id=order_id)  # type: ignore[arg-type]
        return Response(OrderSerializer(order).data)


class PortfolioApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=PortfolioSerializer, summary="Cash, holdings and P&L")
    def get(self, request: Request) -> Response:
        portfolio = portfolio_for(user=request.user)  # type: ignore[arg-type]
        return Response(PortfolioSerializer(portfolio).data)


class PortfolioHistoryApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        range = serializers.ChoiceField(
            choices=list(HISTORY_RANGES),
            default=HISTORY_RANGE_DEFAULT,
            help_text="How far back: the last day, 7 or 30 days, or since the account began "
            f"(the default, {HISTORY_RANGE_DEFAULT}); never before the first ledger entry",
            error_messages={"invalid_choice": f"range must be one of {', '.join(HISTORY_RANGES)}."},
        )

    @extend_schema(
        parameters=[InputSerializer],
        responses=inline_serializer(
            "PortfolioHistory",
            {
                "points": serializers.ListField(
                    child=serializers.ListField(child=serializers.FloatField())
                )
            },
        ),
        summary=f"Total value over time: [[ms, USD], ...], {HISTORY_POINTS} evenly spaced points",
    )
    def get(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        points = portfolio_history(user=request.user, range_=data.validated_data["range"])  # type: ignore[arg-type]
        return Response({"points": points})


def _when(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    parsed = parse_day_or_moment(value)
    if parsed is None:  # malformed, no such day (2026-02-30), or outside years 1 to 9999 UTC
        raise ValidationError(
            {field: ["Use an ISO-8601 date or date-time between years 1 and 9999 (UTC)."]}
        )
    return parsed


def transactions_query(request: Request) -> Any:
    params = request.query_params
    kind = params.get("kind") or None
    if kind and kind not in LedgerKind.values:
        raise ValidationError({"kind": [f"kind must be one of {', '.join(LedgerKind.values)}."]})
    return selectors.transactions_for(
        user=request.user,  # type: ignore[arg-type]
        kind=kind,
        asset=_asset(params.get("asset")),
        since=_when(params.get("since"), "since"),
        until=_when(params.get("until"), "until"),
    )


def _asset(value: str | None) -> str | None:
    """The ledger's name for what was asked (``BTC``, ``btc``, ``bitcoin``, ``usd``); an
    unknown one is a 400 naming ``asset``, not an empty list that looks like no activity."""
    if not value or not value.strip():
        return None
    asset = asset_resolve(name=value)
    if asset is None:
        raise ValidationError(
            {"asset": [f"No asset {value.strip()[:64]!r}: use USD, a coin symbol or a coin id."]}
        )
    return asset


DATE_FILTERS = [
    OpenApiParameter("since", str, description="ISO-8601 date or date-time (inclusive)"),
    OpenApiParameter("until", str, description="ISO-8601 date or date-time (exclusive)"),
]
TRANSACTION_FILTERS = [
    OpenApiParameter("kind", str, enum=LedgerKind.values),
    OpenApiParameter(
        "asset", str, description="USD, a coin symbol (BTC, any case) or a CoinGecko id"
    ),
    *DATE_FILTERS,
]


class TransactionsApi(generics.ListAPIView[LedgerEntry]):
    permission_classes = [IsAuthenticated]
    serializer_class = TransactionSerializer

    def get_queryset(self) -> Any:
        return transactions_query(self.request)

    @extend_schema(parameters=TRANSACTION_FILTERS, summary="Your ledger entries, newest first")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class TransactionsExportApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=TRANSACTION_FILTERS, responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request: Request) -> StreamingHttpResponse:
        response = StreamingHttpResponse(
            transactions_csv(transactions_query(request)), content_type="text/csv"
        )
        response["Content-Disposition"] = 'attachment; filename="cryptovault-transactions.csv"'
        return response


class TradesExportApi(APIView):
    """Your fills as Ghostfolio's activity import reads them (SPEC §4): one line per fill,
    ``Date, Code, DataSource, Currency, Price, Quantity, Action, Fee, Note``."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=DATE_FILTERS,
        responses={(200, "text/csv"): OpenApiTypes.STR},
        summary="Your trades as a CSV that Ghostfolio imports as is",
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        params = request.query_params
        fills = trades_for(
            user=request.user,  # type: ignore[arg-type]
            since=_when(params.get("since"), "since"),
            until=_when(params.get("until"), "until"),
            oldest_first=True,  # a history to import reads in the order it happened
        )
        response = StreamingHttpResponse(trades_csv(fills), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="cryptovault-trades.csv"'
        return response


class OrderQuoteApi(APIView):
    """What an order would cost or yield now, as ``POST /api/orders`` would charge it:
    the ticket's live estimate. It places nothing and does not count against the
    orders-per-minute limit."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(OrderInputSerializer):
        client_order_id = None  # type: ignore[assignment]  # a quote is not repeated

    class OutputSerializer(serializers.Serializer):
        coin = serializers.CharField(source="coin_id")
        side = serializers.CharField()
        type = serializers.CharField()
        price = price_field()
        quantity = amount_field()
        notional = amount_field()
        fee = amount_field()
        total = amount_field(help_text="What the buyer pays or the seller receives, fee included")

    @extend_schema(
        parameters=[InputSerializer],
        responses=OutputSerializer,
        summary="Quote an order: its price, quantity, notional, fee and total (places nothing)",
    )
    def get(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        quote = order_quote(**data.validated_data)
        return Response(self.OutputSerializer(quote).data)


class AccountResetApi(APIView):
    """Put the paper account back to its start: open orders cancelled, coins removed,
    USD set to the starting balance, all as ledger entries (``services.account_reset``).
    The body must say ``{"confirm": "RESET"}``: a reset cannot be undone."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        confirm = serializers.CharField(
            max_length=20, help_text='"RESET": the reset cannot be undone'
        )

        def validate_confirm(self, value: str) -> str:
            if value.strip().upper() != "RESET":
                raise serializers.ValidationError("Type RESET to confirm the reset.")
            return value

    class OutputSerializer(serializers.Serializer):
        balances = BalanceSerializer(many=True)
        cancelled_orders = serializers.ListField(child=serializers.IntegerField())

    @extend_schema(
        request=InputSerializer,
        responses=OutputSerializer,
        summary="Reset your paper account to the starting balance (cancels open orders)",
    )
    def post(self, request: Request) -> Response:
        self.InputSerializer(data=request.data).is_valid(raise_exception=True)
        reset = services.account_reset(user=request.user)  # type: ignore[arg-type]
        return Response(
            self.OutputSerializer(
                {
                    "balances": reset.balances,
                    "cancelled_orders": [order.pk for order in reset.cancelled],
                }
            ).data
        )
