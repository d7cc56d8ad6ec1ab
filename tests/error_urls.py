"""Routes used only by the error-handling tests: the real URLconf plus views that fail."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.decorators import method_decorator
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cryptovault.errors import DomainError
from cryptovault.limits import limited
from cryptovault.urls import handler400, handler403, handler404, handler500  # noqa: F401
from cryptovault.urls import urlpatterns as project_urlpatterns


class EchoApi(APIView):
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        quantity = serializers.DecimalField(max_digits=20, decimal_places=8, min_value=0)
        side = serializers.ChoiceField(choices=["buy", "sell"])

    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response({"quantity": data.validated_data["quantity"]})


class BrokenApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        raise RuntimeError("boom")


class DomainErrorApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        raise DomainError("insufficient_funds", "Not enough USD.", field="quantity")


class LimitedApi(APIView):
    permission_classes = [AllowAny]

    @method_decorator(limited("test:api", "2/m", methods=("GET",)))
    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class PrivateApi(APIView):
    def get(self, request: Request) -> Response:
        return Response({"ok": True})


def broken_page(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


def forbidden_page(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def suspicious_page(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("bad")


@limited("test:page", "2/m", methods=("GET",))
def limited_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [
    path("api/test/echo", EchoApi.as_view()),
    path("api/test/broken", BrokenApi.as_view()),
    path("api/test/domain", DomainErrorApi.as_view()),
    path("api/test/limited", LimitedApi.as_view()),
    path("api/test/private", PrivateApi.as_view()),
    path("test/broken/", broken_page),
    path("test/forbidden/", forbidden_page),
    path("test/suspicious/", suspicious_page),
    path("test/limited/", limited_page),
    *project_urlpatterns,
]
