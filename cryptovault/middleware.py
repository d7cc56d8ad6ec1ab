"""Request context: request id, API version header and the access log."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from cryptovault.request_context import new_request_id, parse_request_id, request_id_var

access_log = logging.getLogger("cryptovault.access")


class RequestContextMiddleware:
    """Gives every request an id and every response ``X-Request-ID`` and ``X-API-Version``.

    A valid UUID sent by the client (or a proxy) in ``X-Request-ID`` is kept so one
    id follows a request across services; anything else is replaced, so a client
    cannot inject arbitrary text into our logs. When DEBUG is off, one JSON line
    per request is logged with the id, method, path, status, duration and user.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = parse_request_id(request.headers.get("X-Request-ID")) or new_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            response["X-API-Version"] = settings.API_VERSION
            if not settings.DEBUG:
                self._log(request, response, started)
            return response
        finally:
            request_id_var.reset(token)

    @staticmethod
    def _log(request: HttpRequest, response: HttpResponse, started: float) -> None:
        try:
            user = getattr(request, "user", None)
            user_id = user.pk if user is not None and user.is_authenticated else None
        except Exception:  # the session store may be what is failing
            user_id = None
        access_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "user_id": user_id,
            },
        )
