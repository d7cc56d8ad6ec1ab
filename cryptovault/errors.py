"""Errors: the domain error type, the API's JSON error shape and the HTML error pages.

Every error under ``/api/`` answers ``{"detail", "code", "request_id"}`` (plus
``errors`` for validation), whether DRF raised it, Django routed nowhere (404),
a rate limit tripped (429) or the code failed (500). Elsewhere people get the
friendly templates in ``templates/<status>.html``.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from cryptovault.request_context import current_request_id

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
RATE_LIMIT_RETRY_AFTER_SECONDS = 60


class DomainError(Exception):
    """A business rule said no: carries a stable ``code``, a message and an HTTP status.

    Raised by services; the API turns it into the JSON error shape and pages into
    form errors. Never a 500.
    """

    status_code: int = status.HTTP_400_BAD_REQUEST

    def __init__(
        self, code: str, message: str, *, status_code: int | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        if status_code is not None:
            self.status_code = status_code


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is larger than this server accepts."
    default_code = "payload_too_large"


# The database went away under a request (restarted, failed over, the connection was
# cut). Django re-opens the connection on the next request (CONN_HEALTH_CHECKS), so
# the honest answer is "try again in a moment", not a 500; the transaction rolled back.
DATABASE_LOST = (OperationalError, InterfaceError)
DATABASE_LOST_DETAIL = "The database is briefly unavailable. Try again in a moment."


def database_unavailable_response(kind: type[Any]) -> Any:
    """503 ``service_unavailable`` with ``Retry-After: 1``, as a DRF or Django response."""
    body = error_body(DATABASE_LOST_DETAIL, "service_unavailable")
    response = kind(body, status=503)
    response["Retry-After"] = "1"
    return response


def error_body(detail: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"detail": detail, "code": code, "request_id": current_request_id(), **extra}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every API error in one shape."""
    if isinstance(exc, DomainError):
        extra = {"errors": {exc.field: [exc.message]}} if exc.field else {}
        refused = Response(error_body(exc.message, exc.code, **extra), status=exc.status_code)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            refused["Retry-After"] = str(retry_after)
        return refused
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, DATABASE_LOST):
        logger.warning("Database connection lost during an API request: %s", exc)
        return database_unavailable_response(Response)
    elif isinstance(exc, SuspiciousOperation):  # too many fields or files, a broken upload
        exc = exceptions.ParseError(str(exc) or "Bad request.", code="bad_request")
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        # Not an API exception: a bug. Log it with the request id, answer JSON.
        logger.error("Unhandled error in API view", exc_info=exc)
        return Response(
            error_body("Internal server error.", "server_error"),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    assert isinstance(exc, exceptions.APIException)
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body("Invalid input.", "invalid", errors=errors)
    elif isinstance(exc.detail, dict) and "detail" in exc.detail:
        # simplejwt's token errors nest their own {"detail", "code", "messages"}.
        response.data = error_body(
            str(exc.detail["detail"]), str(exc.detail.get("code", exc.default_code))
        )
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        response.data = error_body(str(exc.detail), code)
    return response


# --- Django-level handlers (urls.handler400/403/404/500) ----------------------


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _page(request: HttpRequest, status_code: int, **context: Any) -> HttpResponse:
    return render(request, f"{status_code}.html", context, status=status_code)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        return payload_too_large(request)
    if _is_api(request):
        return JsonResponse(error_body("Bad request.", "bad_request"), status=400)
    return _page(request, 400)


def payload_too_large(request: HttpRequest) -> HttpResponse:
    """413: a body over DATA_UPLOAD_MAX_MEMORY_SIZE, refused before it is read."""
    if _is_api(request):
        body = error_body(PayloadTooLarge.default_detail, PayloadTooLarge.default_code)
        return JsonResponse(body, status=413)
    return _page(request, 413)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(
            error_body("You do not have permission to do this.", "permission_denied"), status=403
        )
    return _page(request, 403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body("Not found.", "not_found"), status=404)
    return _page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its ``except`` block: the error is still at hand.
    lost = isinstance(sys.exc_info()[1], DATABASE_LOST)
    if _is_api(request):
        if lost:
            return database_unavailable_response(JsonResponse)
        return JsonResponse(error_body("Internal server error.", "server_error"), status=500)
    # Rendered without the request's context processors: whatever broke (the
    # database, say) must not break the error page too.
    html = loader.get_template("500.html").render({"request_id": current_request_id()})
    page = HttpResponse(html, status=503 if lost else 500)
    if lost:
        page["Retry-After"] = "1"
    return page


def ratelimited(request: HttpRequest, exception: DomainError) -> HttpResponse:
    """429 with ``Retry-After``, the seconds left in the window, for a limit reached
    outside DRF (``cryptovault.limits.RateLimited``, raised in a page view)."""
    retry_after = getattr(exception, "retry_after", RATE_LIMIT_RETRY_AFTER_SECONDS)
    if _is_api(request):
        response: HttpResponse = JsonResponse(
            error_body(exception.message, exception.code), status=429
        )
    else:
        response = _page(request, 429, retry_after=retry_after)
    response["Retry-After"] = str(retry_after)
    return response
