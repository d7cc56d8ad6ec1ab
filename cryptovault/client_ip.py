"""The client's IP address, as far as we can trust it.

``REMOTE_ADDR`` is the peer that connected to us. Behind ``TRUSTED_PROXY_COUNT``
reverse proxies, each appends the address it received the request from to
``X-Forwarded-For``; the client is then the entry that many places from the right.
Anything further left was written by the client and may be forged, so it is never
used: a forged header cannot dodge a rate limit.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    remote = _valid(request.META.get("REMOTE_ADDR", "")) or "0.0.0.0"  # noqa: S104 - a label
    hops: int = settings.TRUSTED_PROXY_COUNT
    if hops <= 0:
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part]
    if len(forwarded) < hops:
        return remote  # the proxies did not add what they should have: trust only the peer
    return _valid(forwarded[-hops]) or remote


def client_ip_key(group: str, request: HttpRequest) -> str:
    """django-ratelimit key: the trusted client IP."""
    return client_ip(request)
