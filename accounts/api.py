"""Account API (SPEC §2, §7): thin views over accounts.services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenRefreshView

from accounts import services
from accounts.models import User
from accounts.ratelimits import limit_method
from accounts.tokens import TOKENS, UserOutputSerializer, bearer_token, tokens_for, tokens_revoke
from cryptovault.errors import DomainError

DETAIL = inline_serializer("Detail", {"detail": serializers.CharField()})


class PublicApi(APIView):
    """Endpoints for people who are not logged in: no auth (so no CSRF) needed."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]


class SignupApi(PublicApi):
    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=1024, trim_whitespace=False)
        name = serializers.CharField(max_length=150, allow_blank=True, required=False, default="")

    @extend_schema(request=InputSerializer, responses={201: DETAIL})
    @limit_method("signup")
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_signup(**data.validated_data)
        return Response(
            {"detail": "Check your email for a verification code."}, status=status.HTTP_201_CREATED
        )


class VerifyEmailApi(PublicApi):
    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(required=False)
        code = serializers.RegexField(r"^\s*\d{6}\s*$", required=False)
        token = serializers.CharField(required=False, max_length=200)

        def validate(self, attrs: dict) -> dict:
            if attrs.get("token"):
                return attrs
            if not (attrs.get("email") and attrs.get("code")):
                raise serializers.ValidationError("Send either email and code, or token.")
            return attrs

    @extend_schema(request=InputSerializer, responses={200: TOKENS})
    @limit_method("verify")
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values.get("token"):
            user = services.user_verify_by_token(token=values["token"])
        else:
            user = services.user_verify_by_code(email=values["email"], code=values["code"])
        return Response(tokens_for(user))


class ResendVerificationApi(PublicApi):
    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()

    @extend_schema(request=InputSerializer, responses={200: DETAIL})
    @limit_method("resend")
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.verification_resend(**data.validated_data)
        return Response(
            {"detail": "If this address is waiting for verification, a new code is on its way."}
        )


class LoginApi(PublicApi):
    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        password = serializers.CharField(max_length=1024, trim_whitespace=False)

    @extend_schema(request=InputSerializer, responses={200: TOKENS})
    @limit_method("login")
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_login(**data.validated_data)
        return Response(tokens_for(user))


class TokenRefreshApi(TokenRefreshView):
    """Trade a refresh token for a new access and refresh token; the old one dies."""

    authentication_classes = ()


class LogoutApi(PublicApi):
    class InputSerializer(serializers.Serializer):
        refresh = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tokens_revoke(refresh=data.validated_data["refresh"], access=bearer_token(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: UserOutputSerializer})
    def get(self, request: Request) -> Response:
        assert isinstance(request.user, User)
        return Response(UserOutputSerializer(request.user).data)


class ForgotPasswordApi(PublicApi):
    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()

    @extend_schema(request=InputSerializer, responses={200: DETAIL})
    @limit_method("forgot")
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_request(**data.validated_data)
        return Response({"detail": "If this address has an account, a reset link is on its way."})


class ValidateResetTokenApi(PublicApi):
    @extend_schema(
        responses={
            200: inline_serializer("ResetTokenValid", {"valid": serializers.BooleanField()}),
            400: inline_serializer(
                "ResetTokenInvalid",
                {
                    "valid": serializers.BooleanField(),
                    "detail": serializers.CharField(),
                    "code": serializers.CharField(),
                },
            ),
        }
    )
    def get(self, request: Request, token: str) -> Response:
        try:
            services.password_reset_token_check(token=token)
        except DomainError as error:
            return Response(
                {"valid": False, "detail": error.message, "code": error.code},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response({"valid": True})


class ResetPasswordApi(PublicApi):
    class InputSerializer(serializers.Serializer):
        token = serializers.CharField(max_length=200)
        password = serializers.CharField(max_length=1024, trim_whitespace=False)

    @extend_schema(request=InputSerializer, responses={200: DETAIL})
    @limit_method("reset")
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_complete(**data.validated_data)
        return Response({"detail": "Your password is changed. Log in with the new one."})
