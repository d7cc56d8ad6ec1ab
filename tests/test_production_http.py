"""Behaviour that exists only with DEBUG off, checked in a production child process."""

import json

from tests.processes import PRODUCTION_ENV, child_env, run_manage, run_python


def test_check_deploy_is_clean_under_production_settings():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env=child_env(**PRODUCTION_ENV)
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stderr


def test_production_sends_hsts_and_redirects_plain_http_except_health():
    code = """
import json
from django.test import Client
client = Client()
secure = client.get("/health/live", secure=True, HTTP_HOST="cryptovault.example")
plain_page = client.get("/", HTTP_HOST="cryptovault.example")
plain_health = client.get("/health/live", HTTP_HOST="cryptovault.example")
print(json.dumps({
    "hsts": secure.get("Strict-Transport-Security"),
    "page": [plain_page.status_code, plain_page.get("Location")],
    "health": plain_health.status_code,
    "request_id_on_redirect": bool(plain_page.get("X-Request-ID")),
}))
"""
    result = run_python(code, child_env(**PRODUCTION_ENV))

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "hsts": "max-age=31536000; includeSubDomains; preload",
        "page": [301, "https://cryptovault.example/"],
        "health": 200,
        "request_id_on_redirect": True,
    }


def test_production_logs_one_json_line_per_request():
    code = """
from django.test import Client
Client().get("/health/live", secure=True, HTTP_HOST="cryptovault.example",
             HTTP_X_REQUEST_ID="7d0c1f0e-6f7a-4d7e-9a51-3a0c6a1b2c3d")
"""
    result = run_python(code, child_env(**PRODUCTION_ENV))

    assert result.returncode == 0, result.stderr
    access = [
        json.loads(line)
        for line in result.stderr.splitlines()
        if line.startswith("{") and '"cryptovault.access"' in line
    ]
    assert len(access) == 1, result.stderr
    line = access[0]
    assert line["request_id"] == "7d0c1f0e-6f7a-4d7e-9a51-3a0c6a1b2c3d"
    assert line["method"] == "GET"
    assert line["path"] == "/health/live"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["user_id"] is None


def test_production_session_cookie_is_host_locked_secure_and_lasts_12_hours():
    code = """
import json
from django.test import Client
from django.utils import timezone
from accounts.models import User
from django.core.management import call_command
call_command("migrate", verbosity=0)
User.objects.create_user(email="c@example.com", password="correct horse battery",
                         email_verified_at=timezone.now())
client = Client()
answer = client.post("/accounts/login/", {"email": "c@example.com",
                     "password": "correct horse battery"},
                     secure=True, HTTP_HOST="cryptovault.example")
cookie = answer.cookies["__Host-sessionid"]
print(json.dumps({"status": answer.status_code, "secure": cookie["secure"],
                  "httponly": cookie["httponly"], "path": cookie["path"],
                  "domain": cookie["domain"], "max_age": cookie["max-age"]}))
"""
    result = run_python(code, child_env(**{**PRODUCTION_ENV, "DATABASE_URL": "sqlite:///:memory:"}))

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "status": 302,
        "secure": True,
        "httponly": True,
        "path": "/",
        "domain": "",
        "max_age": 43200,
    }
