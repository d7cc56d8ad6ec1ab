"""Server-rendered pages: navigation, home page, login/logout, no inline code (CSP)."""

import re

import pytest
from django.urls import reverse

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
