"""Run Django in a child process with a chosen environment.

Settings are read once per process, so anything that depends on the environment
at start-up (malformed values, production mode) is tested in a fresh process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A production environment that passes every start-up requirement.
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "test-only-" + "k" * 60,
    "JWT_SIGNING_KEY": "test-only-" + "j" * 60,
    "ALLOWED_HOSTS": "cryptovault.example,testserver",
    "CSRF_TRUSTED_ORIGINS": "https://cryptovault.example",
    "APP_URL": "https://cryptovault.example",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
}


def child_env(**overrides: str | None) -> dict[str, str]:
    """The current environment with ``overrides`` applied (None removes a variable)."""
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_python(
    code: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` after ``django.setup()`` in a child process."""
    setup = (
        "import django, os\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'cryptovault.settings')\n"
        "django.setup()\n"
    )
    script = setup + code
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_manage(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
