"""Transactions a linked wallet sent: recording one, and the history
(``/api/wallets/transactions``)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chains import services
from chains.models import WalletTransaction


class WalletTransactionSerializer(serializers.ModelSerializer[WalletTransaction]):
    hash = serializers.CharField()
    value_wei = serializers.CharField()
    fee_wei = serializers.CharField(allow_null=True)

    class Meta:
        model = WalletTransaction
        fields = [
            "chain_id",
            "hash",
            "from_address",
            "to_address",
            "value_wei",
            "status",
            "block_number",
            "gas_used",
            "fee_wei",
            "created_at",
        ]


class RecordInput(serializers.Serializer):
    chain_id = serializers.IntegerField()
    hash = serializers.CharField(max_length=66)


class WalletTransactionsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=WalletTransactionSerializer(many=True), summary="Your wallet transactions"
    )
    def get(self, request: Request) -> Response:
        # Reading the history follows its pending transactions (one receipt lookup
        # each): why, in services.transaction_history_follow.
        transactions = services.transaction_history_follow(user=request.user)  # type: ignore[arg-type]
        return Response(WalletTransactionSerializer(transactions, many=True).data)

    @extend_schema(
        request=RecordInput,
        responses={201: WalletTransactionSerializer, 200: WalletTransactionSerializer},
        summary="Record a transaction your linked wallet sent; it is followed to its receipt",
    )
    def post(self, request: Request) -> Response:
        body = RecordInput(data=request.data)
        body.is_valid(raise_exception=True)
        tx, created = services.transaction_record(
            user=request.user,  # type: ignore[arg-type]
            chain_id=body.validated_data["chain_id"],
            tx_hash=body.validated_data["hash"],
        )
        return Response(
            WalletTransactionSerializer(tx).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
