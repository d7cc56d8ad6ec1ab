"""ASGI entry point: HTTP through Django, websockets through Channels.

A websocket handshake must come from one of our own pages (its Origin: scheme,
host and port; see ``cryptovault.websocket``, which says why) and carries the
session user, the same as pages. A path no consumer serves is refused (HTTP 403).
"""

import os
import sys

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cryptovault.settings")

# Django must be set up before anything imports models (consumers, routing).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from cryptovault.routing import websocket_urlpatterns  # noqa: E402
from cryptovault.websocket import SameOriginValidator  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

# The embedded default runs the price feed inside the server process, so `make run`
# alone shows live prices; production runs `manage.py run_price_feed` instead.
from django.conf import settings  # noqa: E402

if settings.PRICE_FEED_EMBEDDED and "pytest" not in sys.modules:
    from markets.feed import start_embedded

    start_embedded()
