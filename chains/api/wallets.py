"""Linked wallets: nonces, linking and unlinking with SIWE, balances, and the wallet
login (``/api/wallets…``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import method_decorator
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.ratelimits import limit_method
from accounts.sessions import session_login
from accounts.tokens import TOKENS, tokens_for
from chains import selectors, services
from chains.models import LinkedWallet
from cryptovault.errors import DomainError
from cryptovault.limits import limited

WALLET_RATE = "10/m"


class WalletSerializer(serializers.ModelSerializer[LinkedWallet]):
    class Meta:
        model = LinkedWallet
        fields = ["address", "chain_id", "linked_at"]


class LinkInput(serializers.Serializer):
    message = serializers.CharField(max_length=4000, trim_whitespace=False)
    signature = serializers.RegexField(
        r"^0x[0-9a-fA-F]{130}$", error_messages={"invalid": "A 65-byte hex signature."}
    )


def _site(request: Request) -> dict[str, str]:
    """What a SIWE message must name: this request's host and origin."""
    return {"domain": request.get_host(), "origin": f"{request.scheme}://{request.get_host()}"}


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


class WalletsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=WalletSerializer(many=True), summary="Your linked wallets")
    def get(self, request: Request) -> Response:
        wallets = selectors.wallet_list(user=request.user)  # type: ignore[arg-type]
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
            **_site(request),
        )
        return Response(
            WalletSerializer(wallet).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class WalletApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None}, summary="Unlink one of your addresses")
    def delete(self, request: Request, address: str) -> Response:
        services.wallet_unlink(user=request.user, address=address)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


# A GET that reads the nodes: a balance is the chain's, asked now, never stored.
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
        rows = selectors.wallet_balances(user=request.user, address=address)  # type: ignore[arg-type]
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
            **_site(request),
        )
        if session:
            session_login(request._request, user)
        return Response(tokens_for(user))
