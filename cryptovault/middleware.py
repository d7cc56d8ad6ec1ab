"""Project middleware: request context (id, API version, access log), sync chain."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextvars import Token
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import sync_and_async_middleware

from cryptovault.client_ip import client_ip
from cryptovault.recursion import recursion_limit_keep
from cryptovault.request_context import (
    client_ip_var,
    new_request_id,
    parse_request_id,
    request_id_var,
)

access_log = logging.getLogger("cryptovault.access")


Tokens = tuple[Token[str], Token[str | None]]


@sync_and_async_middleware
class RequestContextMiddleware:
    """Gives every request an id and every response ``X-Request-ID`` and ``X-API-Version``.

    A valid UUID sent by the client (or a proxy) in ``X-Request-ID`` is kept so one
    id follows a request across services; anything else is replaced, so a client
    cannot inject arbitrary text into our logs. When DEBUG is off, one JSON line
    per request is logged with the id, method, path, status, duration and user.
    """

    # Async-capable, so that under ASGI a request does not hop to a thread just for us.
    def __init__(self, get_response: Callable[..., Any]) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if iscoroutinefunction(self):
            return self.__acall__(request)
        tokens, started = self._begin(request)
        try:
            return self._finish(request, self.get_response(request), started)
        finally:
            self._end(tokens)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        tokens, started = self._begin(request)
        try:
            return self._finish(request, await self.get_response(request), started)
        finally:
            self._end(tokens)

    @staticmethod
    def _begin(request: HttpRequest) -> tuple[Tokens, float]:
        recursion_limit_keep()
        request_id = parse_request_id(request.headers.get("X-Request-ID")) or new_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        tokens = (request_id_var.set(request_id), client_ip_var.set(client_ip(request)))
        return tokens, time.perf_counter()

    @staticmethod
    def _end(tokens: Tokens) -> None:
        request_id_token, client_ip_token = tokens
        client_ip_var.reset(client_ip_token)
        request_id_var.reset(request_id_token)

    def _finish(self, request: HttpRequest, response: HttpResponse, started: float) -> HttpResponse:
        response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
        response["X-API-Version"] = settings.API_VERSION
        if not settings.DEBUG:
            self._log(request, response, started)
        return response

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


class SyncChainMiddleware:
    """Last in MIDDLEWARE, sync-only on purpose: keeps the chain in one worker thread.

    Under ASGI, Django runs each ``MiddlewareMixin`` middleware (all of Django's own)
    in async mode with two thread hops apiece when the middleware below it is async.
    Our views are sync (they use the ORM), so a sync-only middleware at the bottom
    turns the whole chain sync: one hop into a thread per request instead of about
    twenty. Measured with bench/health_live.py: about twice the requests per second.
    """

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)


class RateLimitedMiddleware:
    """A limit reached in a page view (``cryptovault.limits.RateLimited``) answers the
    429 page with ``Retry-After``; the API's own handler does the same in JSON."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from cryptovault.errors import ratelimited
        from cryptovault.limits import RateLimited

        if isinstance(exception, RateLimited):
            return ratelimited(request, exception)
        return None
