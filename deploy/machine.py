"""What the supervisor asks of the machine: open files, the port, its run directory, and
that its children go when it goes. Linux first (Debian's nginx is the target); each
step degrades to nothing where the call does not exist. Standard library only.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import resource
import signal
import socket
import sys
from pathlib import Path
from typing import IO

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def stop_with_parent() -> None:
    """In the child, before exec: SIGTERM it if the supervisor dies, even by SIGKILL
    (Linux's PR_SET_PDEATHSIG), so nothing keeps the port. Elsewhere, nothing."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def raise_open_files(wanted: int) -> int:
    """Raise this process's open-file limit (children inherit it) as far as allowed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for limit in (wanted, hard):
        if limit == resource.RLIM_INFINITY or limit < soft:
            continue
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (limit, max(limit, hard)))
            return limit
        except (ValueError, OSError):
            continue
    return soft


def lock_run_dir(run_dir: Path) -> IO[str] | None:
    """Hold ``run_dir``'s lock for this process's life (None: another run holds it).

    The port is bound only once nginx starts, after migrations: two runs with one PORT
    would both pass the port check and share one run directory without this. The
    file is not inherited by the children, so it is free again as soon as we exit."""
    run_dir.mkdir(parents=True, exist_ok=True)
    lock = (run_dir / "supervisor.lock").open("a")  # not "w": the holder's pid stays
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        return None
    lock.truncate(0)
    lock.write(f"{os.getpid()}\n")
    lock.flush()
    return lock


def port_in_use(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError:
            return True
    return False
