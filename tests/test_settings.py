"""Settings come from the environment; a malformed value stops start-up in one line."""

import json

import pytest

from tests.processes import PRODUCTION_ENV, child_env, run_python


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://root@localhost/db"),
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:5432"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
        ("REDIS_URL", "redis://127.0.0.1:notaport/0"),
        ("EMAIL_SERVICE", "pigeon"),
        ("EMAIL_FROM", "not-an-email"),
        ("PRICE_SOURCE", "oracle"),
        ("COINGECKO_PLAN", "enterprise"),
        ("COINGECKO_BASE_URL", "ftp://stub"),
        ("PRICE_BROADCAST_SECONDS", "0"),
        ("TRADING_FEE_RATE", "a lot"),
        ("TRADING_FEE_RATE", "NaN"),
        ("DEMO_STARTING_BALANCE_USD", "-5"),
        ("TRUSTED_PROXY_COUNT", "1.5"),
        ("APP_URL", "cryptovault.example"),
        ("CSRF_TRUSTED_ORIGINS", "https://ok.example,nope"),
        ("CHAIN_RPC_1", "not a url"),
        ("CHAIN_RPC_MAINNET", "http://127.0.0.1:8545"),
    ],
)
def test_malformed_value_stops_startup_with_one_line_naming_it(name, value):
    result = run_python("print('started')", child_env(**{name: value}))

    assert result.returncode == 2
    assert "started" not in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"CryptoVault configuration error: {name}:")


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "JWT_SIGNING_KEY"])
def test_production_refuses_to_start_without_its_secrets(missing):
    env = child_env(**{**PRODUCTION_ENV, missing: None})

    result = run_python("print('started')", env)

    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"CryptoVault configuration error: {missing}: not set; it is required when DEBUG is off"
    )


def test_production_refuses_to_start_without_redis():
    # Per-process counters would multiply every rate limit and lockout by the number of
    # processes, and hide django-ratelimit's own check (issue 11, finding 10).
    env = child_env(**{**PRODUCTION_ENV, "REDIS_URL": None})

    result = run_python("print('started')", env)

    assert result.returncode == 2
    assert result.stderr.strip() == (
        "CryptoVault configuration error: REDIS_URL: not set; "
        "it is required when DEBUG is off (limits must be shared)"
    )


def test_embedded_default_needs_no_variables(tmp_path):
    env = child_env(
        DATABASE_URL=None, REDIS_URL=None, DEBUG=None, SECRET_KEY=None, ALLOWED_HOSTS=None
    )
    code = """
from django.conf import settings
print(json.dumps({
    "debug": settings.DEBUG,
    "db": settings.DATABASES["default"]["ENGINE"],
    "health_checks": settings.DATABASES["default"]["CONN_HEALTH_CHECKS"],
    "cache": settings.CACHES["default"]["BACKEND"],
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "email": settings.EMAIL_BACKEND,
    "secret_set": len(settings.SECRET_KEY) >= 50,
    "jwt_differs": settings.SIMPLE_JWT["SIGNING_KEY"] != settings.SECRET_KEY,
}))
"""
    result = run_python("import json\n" + code, env)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "debug": True,
        "db": "cryptovault.db.sqlite3",
        "health_checks": True,
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "layer": "channels.layers.InMemoryChannelLayer",
        "email": "django.core.mail.backends.console.EmailBackend",
        "secret_set": True,
        "jwt_differs": True,
    }


def test_production_uses_postgres_and_redis_from_urls():
    env = child_env(
        **{
            **PRODUCTION_ENV,
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/cryptovault",
            "REDIS_URL": "redis://127.0.0.1:6379/3",
            "CHAIN_RPC_137": "https://polygon.rpc.example",
            "TRADING_FEE_RATE": "0.0025",
        }
    )
    code = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
layer = settings.CHANNEL_LAYERS["default"]
print(json.dumps({
    "db": [db["ENGINE"], db["NAME"], db["HOST"], db["PORT"], db["CONN_HEALTH_CHECKS"]],
    "cache": [settings.CACHES["default"]["BACKEND"], settings.CACHES["default"]["LOCATION"]],
    "layer": [layer["BACKEND"], layer["CONFIG"]["hosts"]],
    "rpc": settings.CHAIN_RPC_URLS,
    "fee": str(settings.TRADING_FEE_RATE),
    "hsts": settings.SECURE_HSTS_SECONDS,
}))
"""
    result = run_python(code, env)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "db": ["django.db.backends.postgresql", "cryptovault", "127.0.0.1", 5432, True],
        "cache": ["django_redis.cache.RedisCache", "redis://127.0.0.1:6379/3"],
        "layer": ["channels_redis.core.RedisChannelLayer", ["redis://127.0.0.1:6379/3"]],
        "rpc": {"137": "https://polygon.rpc.example"},
        "fee": "0.0025",
        "hsts": 31536000,
    }


def test_env_example_documents_every_variable_the_settings_read():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    settings_source = (root / "cryptovault" / "settings.py").read_text()
    read = set(re.findall(r'env\.\w+\(\s*"([A-Z0-9_]*[A-Z0-9])"', settings_source))
    example = (root / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))

    assert read, "no variables found in settings"
    assert read - documented == set()
    assert "CHAIN_RPC_1" in documented


@pytest.mark.parametrize(
    ("service", "backend"),
    [
        ("console", "django.core.mail.backends.console.EmailBackend"),
        ("smtp", "django.core.mail.backends.smtp.EmailBackend"),
        ("sendgrid", "anymail.backends.sendgrid.EmailBackend"),
        ("resend", "anymail.backends.resend.EmailBackend"),
        ("ses", "anymail.backends.amazon_ses.EmailBackend"),
    ],
)
def test_email_service_chooses_the_backend(service, backend):
    result = run_python(
        "from django.conf import settings\nprint(settings.EMAIL_BACKEND, settings.DEV_OUTBOX)",
        child_env(EMAIL_SERVICE=service, DEBUG="true"),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [backend, str(service == "console")]
