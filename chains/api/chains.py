"""The supported chains, their gas and estimates (``/api/chains…``)."""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chains import gas, selectors
from chains.siwe import ADDRESS

HEX_DATA = re.compile(r"0x(?:[0-9a-fA-F]{2})*")


class ChainSerializer(serializers.Serializer):
    chain_id = serializers.IntegerField()
    name = serializers.CharField()
    native_symbol = serializers.CharField()
    native_decimals = serializers.IntegerField()
    explorer_url = serializers.CharField()
    eip1559 = serializers.BooleanField()
    rpc_configured = serializers.BooleanField()


class ChainsApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=ChainSerializer(many=True), summary="Supported EVM chains")
    def get(self, request: Request) -> Response:
        return Response(selectors.chain_list())


GAS = inline_serializer(
    "Gas",
    {
        "chain_id": serializers.IntegerField(),
        "base_fee_gwei": serializers.CharField(allow_null=True),
        "priority_fee_gwei": serializers.DictField(child=serializers.CharField(), allow_null=True),
        "gas_price_gwei": serializers.CharField(),
        "transfer_cost": serializers.DictField(child=serializers.CharField(allow_null=True)),
    },
)


# A GET that reads the chain's node: gas is the node's figure of the moment, cached a
# few seconds per chain (chains.gas). A comment, not a docstring: drf-spectacular would
# publish a docstring as the operation's description.
class GasApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=GAS, summary="Fees now and the cost of a plain transfer")
    def get(self, request: Request, chain_id: int) -> Response:
        chain = selectors.chain_get_supported(chain_id=chain_id)
        return Response(gas.gas_report(chain=chain))


class EstimateInput(serializers.Serializer):
    # "from" is a Python keyword, so it is added in get_fields; "data" clashes with
    # Serializer.data for the type checker only.
    to = serializers.CharField()
    value_wei = serializers.CharField()
    data = serializers.CharField(required=False, allow_blank=True)  # type: ignore[assignment]
    tier = serializers.ChoiceField(choices=gas.TIERS, default="standard")

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = serializers.CharField()
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        for name in ("from", "to"):
            if not ADDRESS.fullmatch(attrs.get(name, "")):
                errors[name] = ["Must be a 0x-prefixed 20-byte hex address."]
        value = attrs.get("value_wei", "")
        if not value.isdigit() or int(value) >= 2**256:
            errors["value_wei"] = ["Must be a whole number of wei, as digits."]
        data = attrs.get("data") or "0x"
        if not HEX_DATA.fullmatch(data):
            errors["data"] = ["Must be 0x-prefixed hex bytes."]
        if errors:
            raise serializers.ValidationError(errors)
        attrs["data"] = data
        return attrs


ESTIMATE = inline_serializer(
    "Estimate",
    {
        "gas_limit": serializers.IntegerField(),
        "max_fee_per_gas_wei": serializers.CharField(),
        "max_priority_fee_per_gas_wei": serializers.CharField(),
        "cost_native": serializers.CharField(),
        "cost_usd": serializers.CharField(allow_null=True),
    },
)


class EstimateApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        request=EstimateInput,
        responses=ESTIMATE,
        summary="Gas and fees for a transaction",
        description=(
            "`tier` (slow, standard or fast; standard by default) picks the tip; "
            "max fee = 2 x next base fee + tip. Chains without EIP-1559 answer their gas "
            "price whatever the tier."
        ),
    )
    def post(self, request: Request, chain_id: int) -> Response:
        # The path first: an unsupported chain is a 404 whatever the body says.
        chain = selectors.chain_get_supported(chain_id=chain_id)
        body = EstimateInput(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        return Response(
            gas.gas_estimate(
                chain=chain,
                sender=values["from"],
                to=values["to"],
                value_wei=int(values["value_wei"]),
                data=values["data"],
                tier=values["tier"],
            )
        )
