"""What every websocket goes through before and after a consumer: origin, route, frames.

Three guards, each answering a way a socket used to fail:

- ``SameOriginValidator`` (around the whole websocket stack in ``asgi.py``): browsers
  let any page open a websocket to any site and send that site's cookies with the
  handshake; only the ``Origin`` header tells us which page asked. Without an exact
  check, a page on another origin rides the user's session (cross-site websocket
  hijacking, CSWSH; OWASP WebSocket Security cheat sheet, "Origin Header
  Validation"). Channels' ``AllowedHostsOriginValidator`` compares host names only,
  so ``http://localhost:9999`` passed for a server on ``localhost:8000``: another
  program on the same machine (a dev server, anything on another port) is another
  origin to the browser and must be another origin to us.
- ``RefuseConsumer`` (the last websocket route): Channels' router raises on a path
  it does not know, which the server turns into HTTP 500; a refusal before accepting
  is HTTP 403 and nothing in the logs pretends it was our bug.
- ``message_receive``: one reading of a client frame for every consumer. Text only,
  at most ``MAX_MESSAGE_BYTES``, JSON through ``cryptovault.json_input`` (bounded
  nesting: deep input can otherwise exhaust the stack) and an object; anything else
  answers ``{"type": "error", "detail": ...}`` and keeps the socket, where an
  exception in a consumer used to close it with 1011.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.http.request import split_domain_port, validate_host

from cryptovault.json_input import JsonInputError, json_loads

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Client messages are small commands (ping, subscribe to a few coin ids); a cap keeps
# a client from making the server parse megabytes per frame.
MAX_MESSAGE_BYTES = 4096

Origin = tuple[str, str, int]
"""An origin compared as browsers do: (scheme, host, port), default ports filled in."""

DEFAULT_PORTS = {"http": 80, "https": 443}
# The websocket scheme of the handshake (or of a proxy's X-Forwarded-Proto) → the
# scheme of the page that may open it.
PAGE_SCHEMES = {"ws": "http", "wss": "https", "http": "http", "https": "https"}


class MessageRefused(ValueError):
    """A client frame we do not read; the message says why, for the client."""


def message_decode(text_data: str | None, bytes_data: bytes | None) -> dict[str, Any]:
    """The client's frame as a JSON object, or MessageRefused saying what was wrong."""
    if text_data is None:
        raise MessageRefused("Send JSON text messages; binary frames are not read.")
    # The character count bounds the encoding below; UTF-8 may need 4 bytes a character.
    if (
        len(text_data) > MAX_MESSAGE_BYTES
        or len(text_data.encode("utf-8", "surrogatepass")) > MAX_MESSAGE_BYTES
    ):
        raise MessageRefused(f"Messages are limited to {MAX_MESSAGE_BYTES} bytes.")
    try:
        message = json_loads(text_data)
    except JsonInputError as error:
        raise MessageRefused(str(error)) from None
    if not isinstance(message, dict):
        raise MessageRefused('Send a JSON object with a "type".')
    return message


async def message_receive(
    consumer: AsyncWebsocketConsumer, text_data: str | None, bytes_data: bytes | None
) -> dict[str, Any] | None:
    """The client's frame as a JSON object, or None once the client has had an error."""
    try:
        return message_decode(text_data, bytes_data)
    except MessageRefused as error:
        await error_send(consumer, str(error))
        return None


async def error_send(consumer: AsyncWebsocketConsumer, detail: str) -> None:
    """Tell the client what was wrong with its message; the socket stays open."""
    await consumer.send(text_data=json.dumps({"type": "error", "detail": detail}))


class RefuseConsumer(AsyncWebsocketConsumer):
    """Closes every handshake before accepting it: the server answers HTTP 403."""

    # A refusal needs no channel of its own (nor a task listening on one).
    channel_layer_alias = None

    async def connect(self) -> None:
        await self.close()


def origin_parse(text: str, *, exact: bool) -> Origin | None:
    """``scheme://host[:port]`` as an Origin, None if it is not an http(s) origin.

    ``exact`` is for the Origin header, which browsers send as exactly that (or
    ``null`` for pages without one); settings such as APP_URL may carry a path,
    which does not belong to their origin.
    """
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:  # an invalid or out-of-range port
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    if exact and (
        parts.username is not None
        or parts.password is not None
        or parts.path
        or parts.query
        or parts.fragment
    ):
        return None
    return scheme, parts.hostname, DEFAULT_PORTS[scheme] if port is None else port


def _headers(scope: Scope, name: bytes) -> list[str]:
    return [value.decode("latin1") for key, value in scope.get("headers", []) if key == name]


def origin_of_request(scope: Scope) -> Origin | None:
    """The origin of a page served by the same host, scheme and port as this handshake.

    The host and port come from the ``Host`` header, which must name one of
    ALLOWED_HOSTS (as for HTTP requests: otherwise DNS rebinding could make any
    name "same origin"). The scheme is the handshake's; behind TRUSTED_PROXY_COUNT
    proxies, TLS may end at the proxy, so its ``X-Forwarded-Proto`` decides, read as
    Django reads SECURE_PROXY_SSL_HEADER (the first value).
    """
    hosts = _headers(scope, b"host")
    if len(hosts) != 1:
        return None
    domain, _port = split_domain_port(hosts[0])
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    scheme = str(scope.get("scheme", "ws"))
    forwarded = _headers(scope, b"x-forwarded-proto")
    if settings.TRUSTED_PROXY_COUNT > 0 and forwarded:
        scheme = forwarded[0].split(",", 1)[0].strip().lower()
    page_scheme = PAGE_SCHEMES.get(scheme)
    if page_scheme is None:
        return None
    return origin_parse(f"{page_scheme}://{hosts[0]}", exact=True)


def origins_configured() -> set[Origin]:
    """APP_URL's origin and CSRF_TRUSTED_ORIGINS: the pages the operator vouches for.

    Entries are matched exactly; Django's ``https://*.example.com`` wildcards are
    not read as such here, so they allow nothing rather than too much.
    """
    urls: Iterable[str] = [settings.APP_URL, *settings.CSRF_TRUSTED_ORIGINS]
    return {origin for url in urls if (origin := origin_parse(url, exact=False)) is not None}


def origin_allowed(scope: Scope) -> bool:
    """True when the handshake's Origin is this site's own page, APP_URL or trusted.

    Scheme, host and port must all match (``http://h`` is ``http://h:80``). A
    missing Origin is refused: browsers always send one with a websocket handshake,
    so only other programs omit it, and they have no session to hijack but ours.
    """
    headers = _headers(scope, b"origin")
    if len(headers) != 1:
        return False
    origin = origin_parse(headers[0], exact=True)
    if origin is None:
        return False
    return origin == origin_of_request(scope) or origin in origins_configured()


class SameOriginValidator:
    """ASGI middleware: a websocket handshake goes on only from an allowed Origin.

    Replaces Channels' ``AllowedHostsOriginValidator``, which compares host names
    and lets any scheme or port through. The allowed origins depend on the request
    (its Host and scheme), so Channels' ``OriginValidator`` with its fixed list
    cannot express them either. See ``origin_allowed`` for the rule.
    """

    def __init__(self, application: ASGIApp) -> None:
        self.application = application
        self.refuse: ASGIApp = RefuseConsumer.as_asgi()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator guards websocket connections only.")
        if origin_allowed(scope):
            await self.application(scope, receive, send)
        else:
            await self.refuse(scope, receive, send)
