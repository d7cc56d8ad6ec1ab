"""MDN's HTTP Observatory against `make prod` on loopback: over TLS, then plain HTTP.

What it does, in order:
1. installs the scanner (npm's ``@mdn/mdn-http-observatory``, pinned with its lock in
   ``bench/observatory-scanner/``) there on demand with ``npm ci --ignore-scripts``:
   its install script would download Chromium's HSTS preload list and IANA's TLD list,
   which this machine cannot reach. The scanner reads only the preload list; the bench
   writes an empty one, so no grade here leans on a preload entry (a loopback name is in
   no list anyway);
2. makes a throwaway CA and a certificate for ``localhost`` and ``127.0.0.1`` signed by
   it, with ``openssl``, in a temporary directory;
3. starts ``make prod`` with ``TLS_CERT``/``TLS_KEY`` on a free port, and scans
   ``127.0.0.1:PORT``: the scanner asks ``https://`` and ``http://`` of that one
   host:port, which is what ``make prod`` serves (plain HTTP arriving on the TLS port is
   redirected to https). Node trusts the CA through ``NODE_EXTRA_CA_CERTS`` (the
   scanner's own ``mdn-http-observatory-scan`` wrapper would overwrite that variable
   with Mozilla's bundle, so ``src/scan.js`` is run directly);
4. stops it, starts ``make prod`` without TLS and scans again: the plain-HTTP figure
   beside it.

Prints the score and grade of each run and every test's result and score modifier.
Needs PostgreSQL and Redis (``DATABASE_URL``, default the ``cv_tls`` database on
127.0.0.1; ``REDIS_URL``, default db 15), nginx, node and npm. A figure, not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, free_port

SCANNER_DIR = ROOT / "bench" / "observatory-scanner"
SCANNER_PACKAGE = SCANNER_DIR / "node_modules" / "@mdn" / "mdn-http-observatory"
SCANNER_STAMP = SCANNER_DIR / "node_modules" / ".cryptovault-lock-sha256"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/cv_tls"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
READY_LINE = "is serving on"
START_TIMEOUT = 180.0  # make prod migrates and collects static files first
STOP_TIMEOUT = 30.0


def install_scanner() -> Path:
    """The scanner's package directory, installed from the lock if it changed."""
    lock = (SCANNER_DIR / "package-lock.json").read_bytes()
    digest = hashlib.sha256(lock).hexdigest()
    installed = SCANNER_STAMP.exists() and SCANNER_STAMP.read_text() == digest
    if not installed or not (SCANNER_PACKAGE / "src" / "scan.js").exists():
        print("installing the scanner (npm ci --ignore-scripts) ...", flush=True)
        subprocess.run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=SCANNER_DIR,
            check=True,
        )
        SCANNER_STAMP.write_text(digest)
    # What its install script would have downloaded: an empty HSTS preload list.
    (SCANNER_PACKAGE / "conf" / "hsts-preload.json").write_text("{}\n")
    return SCANNER_PACKAGE


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA, and a server key and certificate it signed: (ca, cert, key)."""
    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=CryptoVault bench CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=directory,
    )  # fmt: skip
    openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
        "-out", "server.csr", "-subj", "/CN=localhost",
        cwd=directory,
    )  # fmt: skip
    (directory / "server.ext").write_text(
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
        "basicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
    )
    openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", "server.pem",
        cwd=directory,
    )  # fmt: skip
    (directory / "server.key").chmod(0o600)
    return directory / "ca.pem", directory / "server.pem", directory / "server.key"


class Prod:
    """``make prod`` in the background, its output in a log file; stopped with SIGTERM."""

    def __init__(self, port: int, env: dict[str, str], log: Path) -> None:
        self.port = port
        self.log = log
        self.output = log.open("w")
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "prod"],
            cwd=ROOT,
            env=env,
            stdout=self.output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: a last-resort kill reaches every child
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if READY_LINE in self.log.read_text(errors="replace"):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.5)
        self.stop()
        tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
        raise SystemExit(f"make prod did not start on port {self.port}:\n{tail}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                print(f"make prod did not stop in {STOP_TIMEOUT:.0f} s: killing its group")
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.output.close()


def prod_env(port: int, tls: tuple[Path, Path] | None) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DJANGO_SETTINGS_MODULE", "TLS_CERT", "TLS_KEY", "DEBUG"):
        env.pop(name, None)
    env.update(
        HOST="127.0.0.1",
        PORT=str(port),
        DATABASE_URL=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL),
        REDIS_URL=os.environ.get("REDIS_URL", DEFAULT_REDIS_URL),
        WEB_WORKERS="1",
        WS_PROCESSES="1",
        PRICE_SOURCE="simulated",  # no upstream calls from a bench
        LOG_LEVEL="WARNING",
    )
    if tls:
        env.update(TLS_CERT=str(tls[0]), TLS_KEY=str(tls[1]))
    return env


def scan(package: Path, target: str, ca: Path) -> dict[str, object]:
    """The scanner's JSON answer for ``host:port``."""
    env = dict(os.environ, NODE_EXTRA_CA_CERTS=str(ca))
    result = subprocess.run(
        ["node", str(package / "src" / "scan.js"), target],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    try:
        answer: dict[str, object] = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"the scanner failed:\n{result.stdout}\n{result.stderr}") from None
    if "error" in answer:
        raise SystemExit(f"the scanner could not scan {target}: {answer['error']}")
    return answer


def report(title: str, answer: dict[str, object]) -> tuple[int, str]:
    summary = answer["scan"]
    tests = answer["tests"]
    assert isinstance(summary, dict) and isinstance(tests, dict)
    score, grade = int(summary["score"]), str(summary["grade"])
    print(f"\n{title}: score {score}, grade {grade}")
    print(f"  tests passed {summary['testsPassed']} of {summary['testsQuantity']}")
    for name, test in tests.items():
        modifier = int(test.get("scoreModifier", 0))
        verdict = "pass" if test.get("pass") else "FAIL"
        print(f"  {verdict:4}  {modifier:+4d}  {name:32} {test.get('result')}")
    return score, grade


def run(package: Path, ca: Path, tls: tuple[Path, Path] | None, run_dir: Path) -> tuple[int, str]:
    port = free_port()
    label = "TLS" if tls else "plain HTTP"
    print(f"\nstarting make prod ({label}) on 127.0.0.1:{port} ...", flush=True)
    prod = Prod(port, prod_env(port, tls), run_dir / f"prod-{port}.log")
    try:
        prod.wait_ready()
        answer = scan(package, f"127.0.0.1:{port}", ca)
    finally:
        prod.stop()
    scheme = "https" if tls else "http"
    return report(f"{scheme}://127.0.0.1:{port}/ ({label})", answer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tls-only", action="store_true", help="skip the plain-HTTP run")
    args = parser.parse_args()

    package = install_scanner()
    version = json.loads((package / "package.json").read_text())["version"]
    print(f"MDN HTTP Observatory scanner {version}, empty HSTS preload list")
    with tempfile.TemporaryDirectory(prefix="cv-observatory-") as temp:
        directory = Path(temp)
        ca, cert, key = make_certificates(directory)
        figures = {"TLS": run(package, ca, (cert, key), directory)}
        if not args.tls_only:
            figures["plain HTTP"] = run(package, ca, None, directory)
    print("\nsummary (target over TLS: A+, score >= 100)")
    for label, (score, grade) in figures.items():
        print(f"  {label:10}  score {score:>3}  grade {grade}")


if __name__ == "__main__":
    main()
