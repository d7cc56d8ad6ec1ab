"""Chains and wallets API (SPEC §5, §7)."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import method_decorator
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import TOKENS, tokens_for
from accounts.models import User
from accounts.ratelimits import limit_method
from accounts.views import MODEL_BACKEND
from chains import gas, services
from chains.models import LinkedWallet, WalletTransaction
from chains.registry import CHAINS, Chain, chain_get
from chains.rpc import RpcClient, RpcError
from chains.siwe import to_checksum_address
from cryptovault.errors import DomainError
from cryptovault.limits import limited

ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
HEX_DATA = re.compile(r"^0x([0-9a-fA-F]{2})*$")


class ChainUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "rpc_not_configured"


class ChainFailed(APIException):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_code = "chain_unavailable"


def _chain(chain_id: int) -> Chain:
    chain = chain_get(chain_id)
    if chain is None:
        raise NotFound(f"Chain {chain_id} is not supported.")
    return chain


def _client(chain: Chain) -> RpcClient:
    if not chain.rpc_url:
        raise ChainUnavailable(
            f"{chain.name} has no RPC URL on this server (set CHAIN_RPC_{chain.chain_id})."
        )
    return RpcClient(chain.rpc_url)


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
        return Response(
            [
                {
                    "chain_id": chain.chain_id,
                    "name": chain.name,
                    "native_symbol": chain.native_symbol,
                    "native_decimals": chain.native_decimals,
                    "explorer_url": chain.explorer_url,
                    "eip1559": chain.eip1559,
                    "rpc_configured": bool(chain.rpc_url),
                }
                for chain in CHAINS.values()
            ]
        )


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


class GasApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=GAS, summary="Fees now and the cost of a plain transfer")
    def get(self, request: Request, chain_id: int) -> Response:
        chain = _chain(chain_id)
        try:
            return Response(gas.gas_report(chain, _client(chain)))
        except RpcError as error:
            raise ChainFailed(f"{chain.name} did not answer: {error}") from None


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

    def _address(self, value: str, name: str) -> str:
        if not ADDRESS.match(value):
            raise serializers.ValidationError(f"{name} must be a 0x-prefixed 20-byte hex address.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        for name in ("from", "to"):
            if not ADDRESS.match(attrs.get(name, "")):
                errors[name] = ["Must be a 0x-prefixed 20-byte hex address."]
        value = attrs.get("value_wei", "")
        if not value.isdigit() or int(value) >= 2**256:
            errors["value_wei"] = ["Must be a whole number of wei, as digits."]
        data = attrs.get("data") or "0x"
        if not HEX_DATA.match(data):
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
        chain = _chain(chain_id)
        body = EstimateInput(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        transaction = {
            "from": values["from"],
            "to": values["to"],
            "value": hex(int(values["value_wei"])),
            "data": values["data"],
        }
        client = _client(chain)
        try:
            return Response(gas.estimate(chain, client, transaction, tier=values["tier"]))
        except RpcError as error:
            if error.code is not None:  # the node refused the transaction itself
                raise DomainError(
                    "estimate_failed", f"The chain cannot run this transaction: {error}"
                ) from None
            raise ChainFailed(f"{chain.name} did not answer: {error}") from None


class WalletSerializer(serializers.ModelSerializer[LinkedWallet]):
    class Meta:
        model = LinkedWallet
        fields = ["address", "chain_id", "linked_at"]


WALLET_RATE = "10/m"


class NonceApi(APIView):
    """A nonce for the logged-in user (linking) or for a visitor (logging in with a wallet)."""

    permission_classes = [AllowAny]

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "Nonce", {"nonce": serializers.CharField(), "expires_at": serializers.DateTimeField()}
        ),
        summary="A single-use nonce for a SIWE message (10 minutes)",
    )
    @method_decorator(limited("wallets:nonce", WALLET_RATE))
    def post(self, request: Request) -> Response:
        user = request.user if isinstance(request.user, User) else None
        nonce = services.nonce_issue(user=user)
        return Response({"nonce": nonce.nonce, "expires_at": nonce.expires_at})


class LinkInput(serializers.Serializer):
    message = serializers.CharField(max_length=4000, trim_whitespace=False)
    signature = serializers.RegexField(
        r"^0x[0-9a-fA-F]{130}$", error_messages={"invalid": "A 65-byte hex signature."}
    )


class WalletsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=WalletSerializer(many=True), summary="Your linked wallets")
    def get(self, request: Request) -> Response:
        wallets = LinkedWallet.objects.filter(user_id=int(request.user.pk or 0))
        return Response(WalletSerializer(wallets, many=True).data)

    @extend_schema(
        request=LinkInput,
        responses={201: WalletSerializer, 200: WalletSerializer},
        summary="Link an address with SIWE (200 when it is already yours)",
    )
    def post(self, request: Request) -> Response:
        body = LinkInput(data=request.data)
        body.is_valid(raise_exception=True)
        wallet, created = services.wallet_link(
            user=request.user,  # type: ignore[arg-type]
            message=body.validated_data["message"],
            signature=body.validated_data["signature"],
            domain=request.get_host(),
            origin=f"{request.scheme}://{request.get_host()}",
        )
        return Response(
            WalletSerializer(wallet).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class WalletApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None}, summary="Unlink one of your addresses")
    def delete(self, request: Request, address: str) -> Response:
        if not ADDRESS.match(address):
            raise NotFound("No such wallet on your account.")
        user = request.user
        assert isinstance(user, User)
        services.wallet_unlink(user=user, address=to_checksum_address(address))
        return Response(status=status.HTTP_204_NO_CONTENT)


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
        transactions = list(
            WalletTransaction.objects.filter(user_id=int(request.user.pk or 0))[:100]
        )
        unreachable: set[int] = set()
        for tx in transactions:  # pending ones are looked up again
            services.transaction_follow(tx, unreachable=unreachable)
        return Response(WalletTransactionSerializer(transactions, many=True).data)

    @extend_schema(
        request=RecordInput,
        responses={201: WalletTransactionSerializer, 200: WalletTransactionSerializer},
        summary="Record a transaction your linked wallet sent; it is followed to its receipt",
    )
    def post(self, request: Request) -> Response:
        body = RecordInput(data=request.data)
        body.is_valid(raise_exception=True)
        user = request.user
        assert isinstance(user, User)
        try:
            tx, created = services.transaction_record(
                user=user,
                chain_id=body.validated_data["chain_id"],
                tx_hash=body.validated_data["hash"],
            )
        except RpcError as error:
            raise ChainFailed(f"The chain did not answer: {error}") from None
        return Response(
            WalletTransactionSerializer(tx).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class WalletBalancesApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=inline_serializer(
            "WalletBalance",
            {
                "chain_id": serializers.IntegerField(),
                "symbol": serializers.CharField(),
                "balance_wei": serializers.CharField(allow_null=True),
                "balance": serializers.CharField(allow_null=True),
                "error": serializers.CharField(allow_null=True),
            },
            many=True,
        ),
        summary="Native balance of one of your linked addresses on each configured chain",
    )
    def get(self, request: Request, address: str) -> Response:
        wallet = LinkedWallet.objects.filter(
            user_id=int(request.user.pk or 0), address__iexact=address
        ).first()
        if wallet is None:
            raise NotFound("No such wallet on your account.")
        rows = []
        for chain in CHAINS.values():
            if not chain.rpc_url:
                continue
            row: dict[str, Any] = {"chain_id": chain.chain_id, "symbol": chain.native_symbol}
            try:
                wei = RpcClient(chain.rpc_url).balance(wallet.address)
                row.update(
                    balance_wei=str(wei),
                    balance=str(gas.native(chain, wei).normalize()),
                    error=None,
                )
            except RpcError as error:
                row.update(balance_wei=None, balance=None, error=str(error))
            rows.append(row)
        return Response(rows)


def _csrf_passes(request: HttpRequest) -> bool:
    """Django's own CSRF check (token, Origin, Referer), as for a page form."""
    check = CsrfViewMiddleware(lambda _request: HttpResponse())
    check.process_request(request)
    return check.process_view(request, lambda _request: HttpResponse(), (), {}) is None


def _from_a_browser(request: HttpRequest) -> bool:
    """A browser always sends Origin (or Sec-Fetch-Site) on a cross-site POST, and
    cookies when it has them; scripts and bots send none of these."""
    headers = request.headers
    return any(headers.get(name) for name in ("Origin", "Sec-Fetch-Site", "Cookie"))


class WalletLoginApi(APIView):
    """Log in with a linked wallet: a visitor's nonce, a signed SIWE message.

    Login CSRF: a cross-site form could post the attacker's own signed message from a
    victim's browser and leave the victim signed into the attacker's account. So a
    session is started only for a request that passes Django's CSRF check (the wallet
    page sends the token); a browser request that fails it is refused with 403 before
    the nonce is spent; a client without cookies or Origin (a script, a bot) gets its
    tokens and no session.
    """

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(
        request=LinkInput, responses={200: TOKENS}, summary="Log in with a linked wallet (SIWE)"
    )
    @limit_method("login")
    def post(self, request: Request) -> Response:
        session = _csrf_passes(request._request)
        if not session and _from_a_browser(request._request):
            raise DomainError(
                "csrf_failed",
                "This request did not come from a CryptoVault page (CSRF check failed).",
                status_code=status.HTTP_403_FORBIDDEN,
            )
        body = LinkInput(data=request.data)
        body.is_valid(raise_exception=True)
        user = services.wallet_login(
            message=body.validated_data["message"],
            signature=body.validated_data["signature"],
            domain=request.get_host(),
            origin=f"{request.scheme}://{request.get_host()}",
        )
        if session:
            login(request._request, user, backend=MODEL_BACKEND)
        return Response(tokens_for(user))
