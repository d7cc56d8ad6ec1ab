"""Server-rendered pages: navigation, home page, login/logout, no inline code (CSP)."""

import re

import pytest
from django import forms
from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from cryptovault.errors import DomainError
from cryptovault.form_views import form_error_from
from cryptovault.redirects import safe_next_url

pytestmark = pytest.mark.django_db

NAV = {
    "Markets": "/markets/",
    "Trade": "/trade/",
    "Portfolio": "/portfolio/",
    "Wallet": "/wallet/",
}


def test_home_page_has_navigation_to_every_section(client):
    html = client.get("/").content.decode()

    for label, href in NAV.items():
        assert re.search(rf'<a href="{re.escape(href)}"[^>]*>{label}</a>', html), label
    assert 'href="/accounts/login/"' in html


@pytest.mark.parametrize("href", NAV.values())
def test_every_navigation_link_answers(client, href):
    """Public sections answer at once; personal ones (Trade, Portfolio) ask to log in."""
    response = client.get(href, follow=True)

    assert response.status_code == 200
    if response.redirect_chain:
        assert response.redirect_chain[-1][0].startswith(f"/accounts/login/?next={href}")


@pytest.mark.parametrize("path", ["/", *NAV.values(), "/accounts/login/", "/no-such-page/"])
def test_pages_have_no_inline_scripts_or_styles(client, user, path):
    client.force_login(user)
    html = client.get(path).content.decode()

    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, f"inline script on {path}: {tag}"
        assert "nonce=" in tag
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"


def test_current_section_is_marked_for_assistive_technology(client):
    html = client.get("/markets/").content.decode()

    assert '<a href="/markets/" aria-current="page">Markets</a>' in html


def test_login_then_account_menu_then_logout(client, user):
    response = client.post(
        reverse("accounts:login"),
        {"email": "ada@example.com", "password": "correct horse battery"},
    )
    assert response.status_code == 302

    html = client.get("/").content.decode()
    assert "Ada" in html and "ada@example.com" in html
    assert 'action="/accounts/logout/"' in html

    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert 'href="/accounts/login/"' in client.get("/").content.decode()


def test_logout_by_get_is_refused(client, user):
    client.force_login(user)

    assert client.get(reverse("accounts:logout")).status_code == 405


def test_wrong_password_shows_the_error_in_place(client, user):
    response = client.post(
        reverse("accounts:login"), {"email": "ada@example.com", "password": "wrong password!"}
    )

    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_staff_sees_the_admin_link_and_the_admin_works(client, staff_user):
    client.force_login(staff_user)

    assert 'href="/admin/"' in client.get("/").content.decode()
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/user/?q=ops").status_code == 200


def test_api_docs_and_schema_are_served(client):
    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert b"openapi: 3" in schema.content
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


# --- the plumbing every page shares -----------------------------------------------


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/portfolio/", True),
        ("/markets/bitcoin/?range=7", True),
        ("http://testserver/trade/orders/", True),
        ("https://evil.example/", False),
        ("//evil.example/", False),
        ("javascript:alert(1)", False),
        ("", False),
    ],
)
def test_safe_next_url_keeps_only_addresses_on_this_site(target, kept):
    request = RequestFactory().get("/accounts/login/", {"next": target})

    assert safe_next_url(request, default="/markets/") == (target if kept else "/markets/")


def test_safe_next_url_prefers_the_form_field_to_the_query():
    request = RequestFactory().post("/trade/?next=/portfolio/", {"next": "/markets/bitcoin/"})

    assert safe_next_url(request, default="/trade/orders/") == "/markets/bitcoin/"


def test_safe_next_url_never_steps_down_from_https():
    request = RequestFactory().get(
        "/accounts/login/", {"next": "http://testserver/portfolio/"}, secure=True
    )

    assert safe_next_url(request, default="/markets/") == "/markets/"


def test_the_wallet_login_page_drops_an_offsite_next(client):
    html = client.get("/wallet/login/", {"next": "https://evil.example/"}).content.decode()
    kept = client.get("/wallet/login/", {"next": "/portfolio/"}).content.decode()

    assert 'data-next=""' in html
    assert 'data-next="/portfolio/"' in kept


class _PasswordForm(forms.Form):
    new_password = forms.CharField()


def test_a_refusal_about_a_field_of_the_form_is_shown_under_it():
    form = _PasswordForm({"new_password": "x"})
    form.is_valid()

    form_error_from(form, DomainError("too_short", "Too short.", field="new_password"))

    assert form.errors == {"new_password": ["Too short."]}


def test_a_refusal_about_no_field_of_the_form_is_shown_above_it():
    form = _PasswordForm({"new_password": "x"})
    form.is_valid()

    form_error_from(form, DomainError("invalid_token", "Link spent.", field="token"))
    form_error_from(form, DomainError("locked", "Try again later."))

    assert form.non_field_errors() == ["Link spent.", "Try again later."]


def test_a_refusal_can_name_the_field_by_the_service_s_name_and_say_more():
    form = _PasswordForm({"new_password": "x"})
    form.is_valid()

    form_error_from(
        form,
        DomainError("too_short", "Too short.", field="password"),
        renames={"password": "new_password"},
        message="Too short. Use 12 characters.",
    )

    assert form.errors == {"new_password": ["Too short. Use 12 characters."]}


def test_the_pagination_partial_keeps_the_filters_on_both_links():
    page = Paginator(list(range(60)), 25).get_page(2)

    html = render_to_string(
        "partials/pagination.html", {"page": page, "query": "kind=fee", "label": "History"}
    )

    assert 'aria-label="History"' in html
    assert 'href="?kind=fee&amp;page=1">Newer</a>' in html
    assert "Page 2 of 3" in html
    assert 'href="?kind=fee&amp;page=3">Older</a>' in html


def test_the_pagination_partial_is_empty_for_one_page():
    page = Paginator([1], 25).get_page(1)

    assert render_to_string("partials/pagination.html", {"page": page}).strip() == ""
