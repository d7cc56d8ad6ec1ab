"""Where a page may send a person next: the one check of a ``next`` address.

Every page that honours ``next`` (the login form, the trade ticket, the wallet login)
reads it here, so that none of them can be used to bounce a person to another site
(an open redirect: a link that starts on CryptoVault and ends on a look-alike).
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request: HttpRequest, *, default: str) -> str:
    """``next`` from the form or the query when it stays on this site, else ``default``.

    The form's field wins over the query string: a login page opened at
    ``?next=/portfolio/`` posts the same value back as a hidden field.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Django's own LoginView check: this host only, and no step down from https to http.
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
