"""Health endpoints: ``/health`` (readiness, with checks) and ``/health/live``.

``/health`` answers 503 when the database is down, since nothing works without
it; a failing cache or channel layer degrades the service (rate limits and live
prices) but still answers 200 with ``status: "degraded"``. A cache that answers
from its process-local fallback because Redis is away (``cryptovault.cache_fallback``)
is a failing cache: it works, but it is no longer shared. Apps add their own checks
(the price source, say) with :func:`register`.

A check that fails is logged when it starts failing and when it recovers, not at
every probe: a load balancer asking every few seconds must not flood the logs.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache, caches
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from cryptovault.cache_fallback import cache_outage

logger = logging.getLogger(__name__)

CheckResult = dict[str, Any]
_extra_checks: dict[str, Callable[[], CheckResult]] = {}
CHANNEL_LAYER_TIMEOUT_SECONDS = 3.0  # the whole round trip: /health never hangs on it
_failing: dict[str, str] = {}  # check name -> its error, while it fails (this process)


def register(name: str, check: Callable[[], CheckResult]) -> None:
    """Add a named check; it returns ``{"status": "ok"|"error", ...}``."""
    _extra_checks[name] = check


def check_database() -> CheckResult:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "ok", "vendor": connection.vendor}


def check_cache() -> CheckResult:
    """A round trip through the cache, then: is it the shared one (Redis) or the
    process-local stand-in of an outage? The rate-limit cache is asked too."""
    key, token = f"health:{secrets.token_hex(8)}", secrets.token_hex(8)
    cache.set(key, token, timeout=10)
    found = cache.get(key)
    cache.delete(key)
    if found != token:
        return {"status": "error", "error": "value written was not read back"}
    for alias in ("default", settings.RATELIMIT_USE_CACHE):
        outage = cache_outage(caches[alias])
        if outage is not None:
            return {"status": "error", "backend": cache.__class__.__name__, **outage.as_dict()}
    return {"status": "ok", "backend": cache.__class__.__name__}


def check_channel_layer() -> CheckResult:
    layer = get_channel_layer()
    if layer is None:
        return {"status": "error", "error": "no channel layer configured"}

    async def round_trip() -> bool:
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "health.ping"})
        message = await asyncio.wait_for(layer.receive(channel), timeout=2)
        return bool(message.get("type") == "health.ping")

    async def bounded_round_trip() -> bool:
        return await asyncio.wait_for(round_trip(), timeout=CHANNEL_LAYER_TIMEOUT_SECONDS)

    if not async_to_sync(bounded_round_trip)():
        return {"status": "error", "error": "message sent was not received"}
    return {"status": "ok", "backend": layer.__class__.__name__}


def _run(name: str, check: Callable[[], CheckResult]) -> CheckResult:
    try:
        result = check()
    except Exception as error:  # a health check reports failures, it never raises
        result = {"status": "error", "error": error.__class__.__name__}
        detail = f"{error.__class__.__name__}: {error}"
    else:
        detail = str(result.get("error", result["status"]))
    if result["status"] == "ok":
        if _failing.pop(name, None) is not None:
            logger.warning("Health check %s is ok again", name)
    elif _failing.get(name) != detail:
        _failing[name] = detail
        logger.warning("Health check %s failed: %s", name, detail)
    return result


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    checks = {
        "database": _run("database", check_database),
        "cache": _run("cache", check_cache),
        "channel_layer": _run("channel_layer", check_channel_layer),
    }
    checks.update({name: _run(name, check) for name, check in _extra_checks.items()})
    healthy = all(result["status"] == "ok" for result in checks.values())
    database_up = checks["database"]["status"] == "ok"
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "checks": checks},
        status=200 if database_up else 503,
    )


@never_cache
@require_safe
def live(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches nothing else."""
    return JsonResponse({"status": "ok"})
