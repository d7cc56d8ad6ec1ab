"""ASGI entry point: HTTP through Django, websockets through Channels.

A websocket handshake must come from one of our own pages (its Origin: scheme,
host and port; see ``cryptovault.websocket``, which says why) and carries the
session user, the same as pages. A path no consumer serves is refused (HTTP 403).
The public prices socket skips the session and the user: it needs neither, and
10,000 of them across the ws processes are each ~4 KB and a session lookup lighter
(bench/markets_ws.py --topology).
"""

import os
import sys

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cryptovault.settings")

# Django must be set up before anything imports models (consumers, routing).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from cryptovault.routing import websocket_urlpatterns  # noqa: E402
from cryptovault.websocket import SameOriginValidator  # noqa: E402
from markets.routing import websocket_urlpatterns as public_websockets  # noqa: E402

# Public sockets first, without the session middleware; everything else (the last
# route of which refuses unknown paths) with the session user.
websockets = URLRouter(
    [*public_websockets, re_path(r"^", AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))]
)
application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginValidator(websockets),
    }
)

# The embedded default runs the price feed inside the server process, so `make run`
# alone shows live prices; production runs `manage.py run_price_feed` instead.
from django.conf import settings  # noqa: E402

if settings.PRICE_FEED_EMBEDDED and "pytest" not in sys.modules:
    from markets.feed import start_embedded

    start_embedded()
