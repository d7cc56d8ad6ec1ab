"""`make prod`'s pure part (deploy/config.py): variables, child environments, nginx's config.

The running topology is proven by tests/topology (CRYPTOVAULT_TOPOLOGY=1); these
check, without starting anything, what the supervisor would run.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from deploy import config, machine
from tests.processes import PRODUCTION_ENV, ROOT, child_env, run_python

NEEDED = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/cv_test",
    "REDIS_URL": "redis://127.0.0.1:6379/13",
}


def settings_for(**env: str) -> config.ProdSettings:
    return config.prod_settings({**NEEDED, **env})


def nginx_conf(settings: config.ProdSettings, run_dir: Path, static_root: Path) -> str:
    fields = config.nginx_fields(settings, run_dir, static_root, user="", rlimit_nofile=4096)
    return config.render(config.TEMPLATE.read_text(), fields)


def upstream(conf: str, name: str) -> str:
    match = re.search(r"upstream " + name + r" \{(.*?)\n    \}", conf, re.S)
    assert match, conf
    return match.group(1)


def test_defaults_follow_spec_section_1():
    settings = settings_for()
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert (settings.web_workers, settings.ws_processes) == (2, 2)
    assert settings.url == "http://127.0.0.1:8000/"


@pytest.mark.parametrize("missing", ["DATABASE_URL", "REDIS_URL"])
def test_a_missing_service_url_is_one_line_naming_it_and_exit_2(missing):
    env = child_env(**{**NEEDED, missing: None, "PORT": "1"})
    result = subprocess.run(
        [sys.executable, "deploy/prod.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"make prod: {missing} is not set")


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"WS_PROCESSES": "0"}, "WS_PROCESSES"),
        ({"WEB_WORKERS": "two"}, "WEB_WORKERS"),
        ({"DATABASE_URL": "sqlite:///x.sqlite3"}, "DATABASE_URL"),
        ({"TLS_CERT": __file__}, "TLS_KEY"),
        ({"TLS_CERT": "/nonexistent.pem", "TLS_KEY": __file__}, "TLS_CERT"),
    ],
)
def test_a_bad_value_names_its_variable(env, named):
    with pytest.raises(config.SetupError, match=rf"^{named}\b"):
        settings_for(**env)


def test_nginx_gets_one_upstream_server_per_ws_process(tmp_path):
    conf = nginx_conf(settings_for(WS_PROCESSES="3"), tmp_path, tmp_path / "static")
    servers = re.findall(r"server unix:(\S+) fail_timeout=0;", upstream(conf, "cryptovault_ws"))
    assert servers == [str(tmp_path / f"ws.{n}.sock") for n in (1, 2, 3)]
    assert f"server unix:{tmp_path / 'web.sock'}" in upstream(conf, "cryptovault_web")
    assert "{{" not in conf
    connections = re.search(r"worker_connections (\d+);", conf)
    assert connections and int(connections.group(1)) >= 16384


def test_plain_http_listens_without_tls_and_forwards_the_scheme(tmp_path):
    conf = nginx_conf(settings_for(PORT="8123"), tmp_path, tmp_path / "static")
    assert "listen 127.0.0.1:8123 reuseport;" in conf
    assert "ssl_certificate" not in conf and "error_page 497" not in conf
    assert conf.count("proxy_set_header X-Forwarded-Proto $scheme;") == 2  # ws and web


def test_tls_listens_ssl_and_redirects_plain_http_on_the_same_port(tmp_path):
    settings = settings_for(PORT="8443", TLS_CERT=__file__, TLS_KEY=__file__)
    conf = nginx_conf(settings, tmp_path, tmp_path / "static")
    assert "listen 127.0.0.1:8443 ssl http2 reuseport;" in conf
    assert f"ssl_certificate {__file__};" in conf
    assert "error_page 497 =301 https://$host:$server_port$request_uri;" in conf
    assert settings.url == "https://127.0.0.1:8443/"


def test_a_proxy_in_front_keeps_its_forwarded_proto(tmp_path):
    conf = nginx_conf(settings_for(TRUSTED_PROXY_COUNT="1"), tmp_path, tmp_path / "static")
    assert conf.count("proxy_set_header X-Forwarded-Proto $cryptovault_forwarded_proto;") == 2


def test_render_refuses_unknown_and_unused_fields():
    with pytest.raises(KeyError, match="missing"):
        config.render("a {{ missing }}", {})
    with pytest.raises(KeyError, match="extra"):
        config.render("a", {"extra": "x"})


def test_children_run_in_production_behind_one_more_proxy():
    keys = {"SECRET_KEY": "s" * 50, "JWT_SIGNING_KEY": "j" * 50}
    env = {**NEEDED, "DEBUG": "true", "TRUSTED_PROXY_COUNT": "1", "PORT": "8810"}
    child = config.child_environment(config.prod_settings(env), env, keys)
    assert child["DEBUG"] == "false"
    assert child["TRUSTED_PROXY_COUNT"] == "2"
    assert child["TASK_QUEUE"] == "celery"
    assert child["ALLOWED_HOSTS"] == "127.0.0.1,localhost,[::1]"
    origins = child["CSRF_TRUSTED_ORIGINS"].split(",")
    assert {"http://127.0.0.1:8810", "https://127.0.0.1:8810", "http://localhost:8810"} <= set(
        origins
    )
    assert child["APP_URL"] == "http://127.0.0.1:8810"
    # A plain-HTTP entry: no redirect to an HTTPS that is not there, cookies a browser keeps.
    assert (child["SECURE_SSL_REDIRECT"], child["SECURE_COOKIES"]) == ("false", "false")
    assert child["SECRET_KEY"] == "s" * 50


def test_given_values_win_and_tls_keeps_https_on():
    env = {**NEEDED, "ALLOWED_HOSTS": "vault.example", "TLS_CERT": __file__, "TLS_KEY": __file__}
    keys = {"SECRET_KEY": "s" * 50, "JWT_SIGNING_KEY": "j" * 50}
    child = config.child_environment(config.prod_settings(env), env, keys)
    assert child["ALLOWED_HOSTS"] == "vault.example"
    assert child["TRUSTED_PROXY_COUNT"] == "1"
    assert (child["SECURE_SSL_REDIRECT"], child["SECURE_COOKIES"]) == ("true", "true")
    assert child["APP_URL"] == "https://127.0.0.1:8000"


def test_commands_name_every_child_in_start_order(tmp_path):
    settings = settings_for(WS_PROCESSES="3", WEB_WORKERS="4")
    python = str(ROOT / ".venv" / "bin" / "python")
    argvs = dict(config.commands(settings, tmp_path, python))
    assert list(argvs) == ["web", "ws.1", "ws.2", "ws.3", "feed.1", "feed.2", "worker", "nginx"]
    assert "--workers=4" in argvs["web"]
    assert argvs["ws.2"][argvs["ws.2"].index("--uds") + 1] == str(tmp_path / "ws.2.sock")
    assert argvs["feed.1"] == [python, "manage.py", "run_price_feed"]
    assert argvs["worker"][1:5] == ["-A", "cryptovault", "worker", "--beat"]
    assert argvs["nginx"][-1] == str(tmp_path / "nginx.conf")


@pytest.mark.skipif(not Path("/usr/sbin/nginx").exists(), reason="Debian's nginx not installed")
def test_nginx_accepts_the_rendered_configuration(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    openssl = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    subprocess.run(
        [*openssl, "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        capture_output=True,
        timeout=60,
        check=True,
    )
    settings = settings_for(WS_PROCESSES="3", TLS_CERT=str(cert), TLS_KEY=str(key))
    (tmp_path / "tmp").mkdir()
    (tmp_path / "nginx.conf").write_text(nginx_conf(settings, tmp_path, tmp_path / "static"))
    nginx = ["/usr/sbin/nginx", "-t", "-q", "-e", "stderr", "-p", str(tmp_path)]
    result = subprocess.run(
        [*nginx, "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_secure_cookies_off_gives_plain_cookie_names():
    code = (
        "from django.conf import settings\n"
        "print(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE,"
        " settings.SESSION_COOKIE_NAME)\n"
    )
    off = run_python(code, child_env(**PRODUCTION_ENV, SECURE_COOKIES="false"))
    assert off.stdout.split() == ["False", "False", "sessionid"], off.stderr
    on = run_python(code, child_env(**PRODUCTION_ENV))
    assert on.stdout.split() == ["True", "True", "__Host-sessionid"], on.stderr


def test_one_run_per_port_holds_the_run_directory(tmp_path):
    first = machine.lock_run_dir(tmp_path / "prod-8810")
    assert first is not None
    assert machine.lock_run_dir(tmp_path / "prod-8810") is None  # a second run on 8810
    assert (tmp_path / "prod-8810" / "supervisor.lock").read_text().strip().isdigit()
    other = machine.lock_run_dir(tmp_path / "prod-8811")
    assert other is not None
    first.close()
    again = machine.lock_run_dir(tmp_path / "prod-8810")
    assert again is not None
    again.close()
    other.close()
