"""Account pages: every flow a person goes through, errors shown in place."""

import re
from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import User
from accounts.tests.conftest import NEW_PASSWORD, code_in, last_email, link_in
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_signup_then_verify_by_code_logs_in_and_lands_on_markets(client):
    response = client.post(
        "/accounts/signup/", {"name": "Newton", "email": "new@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/verify/"
    page = client.get("/accounts/verify/").content.decode()
    assert 'value="new@example.com"' in page
    code = code_in(last_email("new@example.com"))

    response = client.post("/accounts/verify/", {"email": "new@example.com", "code": code})

    assert response.status_code == 302 and response["Location"] == "/markets/"
    assert client.get("/api/auth/me").json()["email"] == "new@example.com"


def test_signup_errors_are_shown_next_to_the_field(client):
    response = client.post(
        "/accounts/signup/", {"email": "new@example.com", "password": "password1234"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="field field-invalid"' in html
    assert "too common" in html
    assert not User.objects.exists()


def test_wrong_code_is_shown_on_the_form(client):
    client.post("/accounts/signup/", {"email": "new@example.com", "password": PASSWORD})
    code = code_in(last_email("new@example.com"))
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    response = client.post("/accounts/verify/", {"email": "new@example.com", "code": wrong})

    assert response.status_code == 200
    assert "This code is not valid or has expired. Ask for a new one." in response.content.decode()


def test_verify_link_asks_for_a_click_then_logs_in(client):
    client.post("/accounts/signup/", {"email": "new@example.com", "password": PASSWORD})
    link = link_in(last_email("new@example.com"), "/accounts/verify/")
    path = link.replace("http://127.0.0.1:8000", "")

    shown = client.get(path)
    assert shown.status_code == 200
    assert not User.objects.get().email_verified, "a GET must not spend the link"

    response = client.post(path)

    assert response["Location"] == "/markets/"
    assert User.objects.get().email_verified
    assert client.post(path).status_code == 400


def test_resend_from_the_verify_page(client):
    client.post("/accounts/signup/", {"email": "new@example.com", "password": PASSWORD})
    first = last_email("new@example.com")

    response = client.post("/accounts/verify/resend/", {"email": "new@example.com"})

    assert response.status_code == 302
    assert last_email("new@example.com") is not first


def test_login_page_for_unverified_user_points_to_verification(client):
    UserFactory.create(email="new@example.com", unverified=True)

    response = client.post("/accounts/login/", {"email": "new@example.com", "password": PASSWORD})

    html = response.content.decode()
    assert "Verify your email first" in html
    assert 'href="/accounts/verify/"' in html


def test_login_rotates_the_session_and_respects_a_safe_next(client, user):
    client.get("/accounts/login/")
    before = client.cookies.get("sessionid")

    response = client.post(
        "/accounts/login/?next=/portfolio/", {"email": "ada@example.com", "password": PASSWORD}
    )

    assert response["Location"] == "/portfolio/"
    assert client.cookies["sessionid"].value != (before.value if before else None)


def test_login_ignores_an_offsite_next(client, user):
    response = client.post(
        "/accounts/login/",
        {"email": "ada@example.com", "password": PASSWORD, "next": "https://evil.example/"},
    )

    assert response["Location"] == "/markets/"


def test_logout_ends_the_session_on_the_server(client, user):
    client.post("/accounts/login/", {"email": "ada@example.com", "password": PASSWORD})
    cookie = client.cookies["sessionid"].value

    client.post("/accounts/logout/")
    replay = Client()
    replay.cookies["sessionid"] = cookie

    assert replay.get("/api/auth/me").status_code in (401, 403)


def test_forgot_then_reset_from_the_emailed_link(client, user):
    response = client.post("/accounts/password/forgot/", {"email": "ada@example.com"})
    assert "Check your email" in response.content.decode()
    path = link_in(last_email("ada@example.com"), "/accounts/password/reset/").replace(
        "http://127.0.0.1:8000", ""
    )

    form = client.get(path)
    assert form.status_code == 200
    assert form["Referrer-Policy"] == "same-origin"  # the token never leaves our origin
    done = client.post(path, {"password": NEW_PASSWORD})

    assert done["Location"] == "/accounts/login/"
    assert (
        client.post(
            "/accounts/login/", {"email": "ada@example.com", "password": NEW_PASSWORD}
        ).status_code
        == 302
    )
    assert client.get(path).status_code == 400


def test_forgot_page_answers_the_same_for_unknown_emails(client, user):
    def visible(response, email):
        html = response.content.decode().replace(email, "EMAIL")
        return re.sub(r'nonce="[^"]+"', "", html)

    known = client.post("/accounts/password/forgot/", {"email": "ada@example.com"})
    unknown = client.post("/accounts/password/forgot/", {"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 200
    assert visible(known, "ada@example.com") == visible(unknown, "nobody@example.com")


def test_account_page_changes_name_and_password_keeping_this_session(client, user):
    other = Client()
    other.force_login(user)
    client.force_login(user)

    client.post("/accounts/", {"name": "Ada L."})
    response = client.post(
        "/accounts/",
        {"change_password": "1", "current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.name == "Ada L."
    assert user.check_password(NEW_PASSWORD)
    assert client.get("/accounts/").status_code == 200, "this session stays"
    assert other.get("/accounts/").status_code == 302, "the other session ends"


def test_account_page_shows_a_wrong_current_password_in_place(client, user):
    client.force_login(user)

    response = client.post(
        "/accounts/",
        {"change_password": "1", "current_password": "wrong one!", "new_password": NEW_PASSWORD},
    )

    assert "Your current password is not right." in response.content.decode()


def test_account_page_needs_login(client):
    assert client.get("/accounts/")["Location"].startswith("/accounts/login/")


def test_dev_outbox_lists_the_emails_in_console_mode(client, settings):
    settings.DEV_OUTBOX = True
    client.post("/accounts/signup/", {"email": "new@example.com", "password": PASSWORD})

    html = client.get("/dev/outbox/").content.decode()

    assert "new@example.com" in html
    assert code_in(last_email("new@example.com")) in html


def test_dev_outbox_is_404_outside_debug(client, settings):
    settings.DEV_OUTBOX = False

    assert client.get("/dev/outbox/").status_code == 404


def login_email_field(html: str) -> str:
    found = re.search(r'<input type="email" name="email"[^>]*>', html)
    assert found, "no email field"
    return found.group(0)


def test_after_a_password_reset_the_login_form_offers_the_email(client, user):
    client.post("/accounts/password/forgot/", {"email": "ada@example.com"})
    path = link_in(last_email("ada@example.com"), "/accounts/password/reset/").replace(
        "http://127.0.0.1:8000", ""
    )

    done = client.post(path, {"password": NEW_PASSWORD})

    assert done["Location"] == "/accounts/login/"  # no address in a URL
    html = client.get(done["Location"]).content.decode()
    email = login_email_field(html)
    assert 'value="ada@example.com"' in email
    assert "autofocus" not in email, "the cursor goes to the password"
    assert re.search(r'<input type="password" name="password"[^>]*autofocus', html)
    # Logging in spends it: the next visit to the login page starts blank.
    client.post("/accounts/login/", {"email": "ada@example.com", "password": NEW_PASSWORD})
    client.post("/accounts/logout/")
    assert "value=" not in login_email_field(client.get("/accounts/login/").content.decode())


def test_the_login_page_takes_an_email_from_its_own_link(client):
    html = client.get("/accounts/login/?email=ada@example.com").content.decode()

    assert 'value="ada@example.com"' in login_email_field(html)


@pytest.mark.parametrize("junk", ["not-an-email", '"><script>x</script>@example.com'])
def test_the_login_page_ignores_an_email_that_is_not_one(client, junk):
    from urllib.parse import quote

    html = client.get(f"/accounts/login/?email={quote(junk)}").content.decode()

    assert "value=" not in login_email_field(html)
    assert "<script>x" not in html


def test_the_account_page_offers_the_paper_account_reset(client, user, settings):
    settings.DEMO_STARTING_BALANCE_USD = Decimal("10000")
    client.force_login(user)

    html = client.get("/accounts/").content.decode()

    assert "Reset paper account" in html
    assert "Start over with $10,000.00 of demo dollars" in html
    assert "cancels every open order" in html and "removes every coin you hold" in html
    assert '<label for="reset-word">Type RESET to confirm</label>' in html
    assert re.search(r'<form id="reset-confirm"[^>]*hidden', html), "confirmed in the page"
    assert re.search(r'<script type="module" src="/static/js/account\.[^"]*js"', html)
