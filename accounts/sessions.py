"""Starting a Django session for a user our own services have already authenticated.

Every door that opens a session (the login and verification pages, the wallet login)
goes through ``session_login``, so they all start it the same way.
"""

from __future__ import annotations

from django.contrib.auth import login
from django.http import HttpRequest

from accounts.models import User

# Our services check the credentials themselves (password or wallet signature, with the
# lockout and the audit trail) instead of calling authenticate(), so no backend is
# stamped on the user; login() records this one, which re-loads the user per request.
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def session_login(request: HttpRequest, user: User) -> None:
    """Log ``user`` into the request's session: a new session key and a rotated CSRF token."""
    login(request, user, backend=MODEL_BACKEND)
