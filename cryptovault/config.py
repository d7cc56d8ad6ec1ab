"""Reading settings from the environment, strictly.

``django-environ`` parses the values (and the optional ``.env`` file); this module
adds what it lacks: a malformed value is an error that names its variable, and
settings turn that error into one line on stderr and a non-zero exit, instead of
a traceback or a silently wrong default.
"""

from __future__ import annotations

import os
import secrets
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_DATABASE_SCHEMES = {"sqlite", "postgres", "postgresql", "pgsql"}
_REDIS_SCHEMES = {"redis", "rediss", "unix"}


class ConfigError(Exception):
    """A variable of the environment has a value CryptoVault cannot run with."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name


def abort(error: ConfigError) -> NoReturn:
    """Stop start-up with one line naming the variable (no traceback)."""
    sys.stderr.write(f"CryptoVault configuration error: {error}\n")
    raise SystemExit(2)


class Config:
    """Typed, validated access to environment variables."""

    def __init__(self, env_file: Path | None = None) -> None:
        if env_file is not None and env_file.is_file():
            # Values already in the environment win over the file.
            environ.Env.read_env(str(env_file), overwrite=False)

    @staticmethod
    def _raw(name: str) -> str | None:
        value = os.environ.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def text(self, name: str, *, default: str) -> str:
        value = self._raw(name)
        return default if value is None else value

    def flag(self, name: str, *, default: bool) -> bool:
        value = self._raw(name)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise ConfigError(name, f"expected true or false, got {value!r}")

    def integer(
        self, name: str, *, default: int, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        value = self._raw(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ConfigError(name, f"expected a whole number, got {value!r}") from None
        self._check_range(name, number, minimum, maximum)
        return number

    def decimal(
        self,
        name: str,
        *,
        default: Decimal,
        minimum: Decimal | None = None,
        maximum: Decimal | None = None,
    ) -> Decimal:
        value = self._raw(name)
        if value is None:
            return default
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ConfigError(name, f"expected a decimal number, got {value!r}") from None
        if not number.is_finite():
            raise ConfigError(name, f"expected a finite number, got {value!r}")
        self._check_range(name, number, minimum, maximum)
        return number

    @staticmethod
    def _check_range(name: str, number: Any, minimum: Any, maximum: Any) -> None:
        if minimum is not None and number < minimum:
            raise ConfigError(name, f"must be at least {minimum}, got {number}")
        if maximum is not None and number > maximum:
            raise ConfigError(name, f"must be at most {maximum}, got {number}")

    def choice(self, name: str, *, default: str, choices: tuple[str, ...]) -> str:
        value = self._raw(name)
        if value is None:
            return default
        if value not in choices:
            raise ConfigError(name, f"expected one of {', '.join(choices)}, got {value!r}")
        return value

    def csv(self, name: str, *, default: list[str]) -> list[str]:
        value = self._raw(name)
        if value is None:
            return list(default)
        return [item.strip() for item in value.split(",") if item.strip()]

    def url(self, name: str, *, default: str) -> str:
        value = self._raw(name)
        if value is None:
            return default
        self._check_http_url(name, value)
        return value

    def url_list(self, name: str, *, default: list[str]) -> list[str]:
        values = self.csv(name, default=default)
        for value in values:
            self._check_http_url(name, value)
        return values

    @staticmethod
    def _check_http_url(name: str, value: str) -> None:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(name, f"expected an http(s) URL, got {value!r}")

    def email(self, name: str, *, default: str) -> str:
        value = self._raw(name)
        if value is None:
            return default
        try:
            validate_email(value)
        except ValidationError:
            raise ConfigError(name, f"expected an email address, got {value!r}") from None
        return value

    def db_url(self, name: str, *, default: str) -> dict[str, Any]:
        value = self._raw(name) or default
        scheme = urlsplit(value).scheme
        if scheme not in _DATABASE_SCHEMES:
            raise ConfigError(
                name, f"expected a sqlite:// or postgres:// URL, got scheme {scheme!r}"
            )
        try:
            config: dict[str, Any] = environ.Env.db_url_config(value)
        except Exception as error:  # django-environ raises several types
            raise ConfigError(name, f"cannot parse {value!r}: {error}") from None
        if scheme != "sqlite" and not config.get("NAME"):
            raise ConfigError(name, "the URL names no database")
        return config

    def redis_url(self, name: str, *, default: str) -> str:
        value = self._raw(name)
        if value is None:
            return default
        parts = urlsplit(value)
        if parts.scheme not in _REDIS_SCHEMES or (parts.scheme != "unix" and not parts.hostname):
            raise ConfigError(name, f"expected a redis:// URL, got {value!r}")
        try:
            parts.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError:
            raise ConfigError(name, f"malformed port in {value!r}") from None
        return value

    def prefixed_urls(self, prefix: str) -> dict[int, str]:
        """``CHAIN_RPC_<id>=url`` variables as ``{id: url}``."""
        urls: dict[int, str] = {}
        for name in sorted(os.environ):
            if not name.startswith(prefix):
                continue
            suffix = name[len(prefix) :]
            if not suffix.isdigit():
                raise ConfigError(name, f"expected {prefix}<chain id>, e.g. {prefix}1")
            value = self._raw(name)
            if value is None:
                continue
            self._check_http_url(name, value)
            urls[int(suffix)] = value
        return urls

    @staticmethod
    def require(name: str, value: object, reason: str) -> None:
        if not value:
            raise ConfigError(name, f"not set; {reason}")

    @staticmethod
    def local_secret(path: Path) -> str:
        """A random secret kept in a local file (embedded mode only)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text(secrets.token_urlsafe(50))
            path.chmod(0o600)
        return path.read_text().strip()
