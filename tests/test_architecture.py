"""The layering holds: domains depend one way, rules never know their screens (issue 13).

Read with ``ast``, so nothing is imported or run: every ``import`` and ``from ...
import`` (function-local and ``TYPE_CHECKING`` ones included; a hidden import is
still a dependency) and every ``importlib.import_module("...")``, ``__import__("...")``
and Django ``import_string("...")`` call with a literal name. Dotted paths in
settings and ``include("...")`` URL strings are composition, not read.

Words used below:
- an *app* is ``accounts``, ``markets``, ``trading`` or ``chains``; ``cryptovault`` is
  the core every app may use;
- a *screen* is a module that shows or takes input: ``views``, ``api`` (and
  ``api/*``), ``forms``, ``consumers``, ``routing``, ``urls`` (``api_urls`` too: it is
  a URL list), ``admin``, ``templatetags/*`` and ``management/commands/*``, and
  ``serializers`` (the API's shapes, which a rule must not know either);
- a *rules* module is any other one (models, services, selectors, receivers...).

Each rule is a function over a source tree, so the tests at the bottom can prove on a
small tree of their own that every rule does fail when its arrow runs the wrong way.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "markets", "trading", "chains")
CORE = "cryptovault"
PACKAGES = (*APPS, CORE)
MAX_LINES = 350

# Not production code: test modules, migrations (generated), benchmarks.
SKIPPED_DIRS = frozenset({"tests", "migrations", "bench"})
# What the size rule never walks into: tools, dependencies and local state.
UNOWNED_DIRS = frozenset({"node_modules", "var", "static", "templates", "__pycache__"})

SCREEN_MODULES = frozenset(
    {"views", "api", "forms", "consumers", "routing", "urls", "admin", "serializers"}
)
SCREEN_PACKAGES = frozenset({"api", "templatetags"})

# The composition root: the one place that puts the apps together (URL routes,
# websocket routes, the ASGI application that starts the embedded price feed).
COMPOSITION_ROOT = frozenset(
    {"cryptovault/urls.py", "cryptovault/routing.py", "cryptovault/asgi.py"}
)
# Modules of the core that may import an app, each with its reason. Empty today; a new
# entry needs a reason that the core cannot take the dependency the other way round.
CORE_EXCEPTIONS: dict[str, str] = {}


@dataclass(frozen=True)
class Module:
    """One .py file of the tree: where it is and the dotted name Python imports it by."""

    path: Path
    relative: str  # "trading/services/orders.py"
    name: str  # "trading.services.orders"

    @property
    def package(self) -> str:
        """The package a relative import starts from."""
        return self.name if self.path.name == "__init__.py" else self.name.rpartition(".")[0]


@dataclass(frozen=True)
class Import:
    """``module`` names ``target`` (a dotted module path) at ``line``."""

    module: Module
    line: int
    target: str

    def where(self) -> str:
        return f"{self.module.relative}:{self.line}"


def _skipped(relative: Path) -> bool:
    return any(part in SKIPPED_DIRS for part in relative.parts[:-1])


def modules_of(root: Path) -> list[Module]:
    """Every module of the apps and the core under ``root``, outside tests and migrations."""
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root)
            if _skipped(relative):
                continue
            parts = relative.with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found.append(Module(path, relative.as_posix(), ".".join(parts)))
    return found


def _resolve(module: Module, level: int, name: str | None) -> str:
    """The absolute dotted name of ``from <level dots><name> import ...`` in ``module``."""
    if level == 0:
        return name or ""
    base = module.package.split(".")
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join([*base, name] if name else base)


def _literal_import_call(node: ast.Call) -> str | None:
    """The module a dynamic import call names with a string literal, else None."""
    func = node.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if called not in ("import_module", "__import__", "import_string") or not node.args:
        return None
    first = node.args[0]
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        return None
    # import_string names an attribute: "package.module.Thing".
    return first.value.rpartition(".")[0] if called == "import_string" else first.value


def imports_of(module: Module, known: set[str]) -> Iterator[Import]:
    """Every module ``module`` imports; ``from x import y`` is ``x.y`` when that is a module."""
    tree = ast.parse(module.path.read_text(), filename=str(module.path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, node.level, node.module)
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                yield Import(module, node.lineno, submodule if submodule in known else source)
        elif isinstance(node, ast.Call):
            target = _literal_import_call(node)
            if target and target.startswith("."):
                dots = len(target) - len(target.lstrip("."))
                target = _resolve(module, dots, target.lstrip(".") or None)
            if target:
                yield Import(module, node.lineno, target)


def all_imports(root: Path) -> list[Import]:
    """Every import of the tree, in file and line order."""
    modules = modules_of(root)
    known = {module.name for module in modules}
    # A set: "from x import a, b" is one import of x, not two.
    found = {each for module in modules for each in imports_of(module, known)}
    return sorted(found, key=lambda each: (each.module.relative, each.line, each.target))


def top(name: str) -> str:
    return name.split(".")[0]


def is_screen(name: str) -> bool:
    """True for a module that shows or takes input (see the module docstring)."""
    parts = name.split(".")
    if top(name) not in PACKAGES:
        return False
    last = parts[-1]
    return (
        last in SCREEN_MODULES
        or last.endswith("_urls")
        or any(part in SCREEN_PACKAGES for part in parts[1:])
        or ".management.commands." in f"{name}."
    )


def _is_app_config(module: Module) -> bool:
    return module.path.name == "apps.py"


# --- The rules: each returns its violations as "file:line: rule: what" -----------


def domains_importing_trading(root: Path) -> list[str]:
    """a. markets and accounts never import trading or chains (events carry the news)."""
    return [
        f"{found.where()}: {top(found.module.name)} must not import {top(found.target)} "
        f"(rule a: prices and accounts know nothing of trading or chains; announce an "
        f"event from cryptovault.events instead) - imports {found.target}"
        for found in all_imports(root)
        if top(found.module.name) in ("markets", "accounts")
        and top(found.target) in ("trading", "chains")
    ]


def core_importing_apps(root: Path) -> list[str]:
    """b. the core imports no app, except the composition root and the listed exceptions."""
    return [
        f"{found.where()}: the core must not import an app (rule b: only "
        f"{', '.join(sorted(COMPOSITION_ROOT))} put the apps together) - "
        f"imports {found.target}"
        for found in all_imports(root)
        if top(found.module.name) == CORE
        and top(found.target) in APPS
        and found.module.relative not in COMPOSITION_ROOT
        and found.module.relative not in CORE_EXCEPTIONS
    ]


def rules_importing_screens(root: Path) -> list[str]:
    """c. a rules module never imports a screen, of its own app or any other.

    An app's ``apps.py`` may import its OWN app's screens: ``AppConfig.ready()`` is
    where Django connects receivers, and a receiver that pushes to sockets belongs to
    the socket layer. The composition root puts screens together by design.
    """
    violations = []
    for found in all_imports(root):
        source = found.module
        if is_screen(source.name) or source.relative in COMPOSITION_ROOT:
            continue
        if not is_screen(found.target):
            continue
        if _is_app_config(source) and top(found.target) == top(source.name):
            continue
        violations.append(
            f"{found.where()}: a rules module must not import a screen (rule c: "
            f"services, selectors, models and receivers never know their views, APIs "
            f"or consumers; announce an event instead) - imports {found.target}"
        )
    return violations


def screens_crossing_apps(root: Path) -> list[str]:
    """d. no screen of one app imports a screen of another app."""
    return [
        f"{found.where()}: a screen must not import another app's screen (rule d: "
        f"share the rule through that app's services or selectors, or the core) - "
        f"imports {found.target}"
        for found in all_imports(root)
        if top(found.module.name) in APPS
        and top(found.target) in APPS
        and top(found.module.name) != top(found.target)
        and is_screen(found.module.name)
        and is_screen(found.target)
    ]


def modules_over_size(root: Path) -> list[str]:
    """e. no module outside tests, migrations and benchmarks is over MAX_LINES lines."""
    violations = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and d not in UNOWNED_DIRS | SKIPPED_DIRS
        )
        for file in sorted(files):
            # conftest.py is test code wherever it sits (fixtures for the suite).
            if not file.endswith(".py") or file == "conftest.py":
                continue
            path = Path(folder, file)
            lines = len(path.read_text().splitlines())
            if lines > MAX_LINES:
                # Pointing at the first line past the ceiling, where the excess starts.
                violations.append(
                    f"{path.relative_to(root).as_posix()}:{MAX_LINES + 1}: {lines} lines, "
                    f"over the {MAX_LINES}-line ceiling (rule e: cut the module by job)"
                )
    return violations


def _report(violations: list[str]) -> str:
    return f"{len(violations)} violation(s):\n" + "\n".join(violations)


# --- The project holds every rule ---------------------------------------------------


def test_markets_and_accounts_never_import_trading_or_chains():
    violations = domains_importing_trading(ROOT)

    assert violations == [], _report(violations)


def test_the_core_imports_no_app_outside_the_composition_root():
    violations = core_importing_apps(ROOT)

    assert violations == [], _report(violations)


def test_rules_modules_never_import_a_screen():
    violations = rules_importing_screens(ROOT)

    assert violations == [], _report(violations)


def test_no_screen_imports_another_apps_screen():
    violations = screens_crossing_apps(ROOT)

    assert violations == [], _report(violations)


def test_no_module_is_over_the_size_ceiling():
    violations = modules_over_size(ROOT)

    assert violations == [], _report(violations)


def test_the_checker_reads_the_project():
    # Guards the rules above against passing because they read nothing.
    modules = modules_of(ROOT)
    names = {module.name for module in modules}

    assert {"accounts.models", "markets.models", "trading.models", "chains.models"} <= names
    assert not any(
        {"tests", "migrations"} & set(Path(module.relative).parts[:-1]) for module in modules
    )
    assert sum(1 for _ in all_imports(ROOT)) > 500


# --- Each rule fails when its arrow runs the wrong way (a tree of our own) ----------


def write(root: Path, relative: str, source: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in path.relative_to(root).parents:
        if parent != Path("."):
            (root / parent / "__init__.py").touch()
    path.write_text(source)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A small project: the four apps and the core, every module within the rules."""
    write(tmp_path, "cryptovault/events.py", "import django.dispatch\n")
    write(tmp_path, "cryptovault/urls.py", "from accounts import urls\nimport markets.views\n")
    write(tmp_path, "cryptovault/asgi.py", "def app():\n    from markets.feed import start\n")
    write(tmp_path, "cryptovault/routing.py", "from trading.routing import websocket_urlpatterns\n")
    write(tmp_path, "accounts/services.py", "from cryptovault import events\n")
    write(tmp_path, "accounts/views.py", "from accounts import services\nfrom . import forms\n")
    write(tmp_path, "accounts/forms.py", "from cryptovault.errors import DomainError\n")
    write(tmp_path, "accounts/urls.py", "from accounts.views import LoginView\n")
    write(tmp_path, "markets/feed.py", "from cryptovault.events import prices_ticked\n")
    write(tmp_path, "markets/views.py", "from markets import selectors\n")
    write(tmp_path, "markets/selectors.py", "from markets.models import Coin\n")
    write(tmp_path, "markets/models.py", "")
    write(tmp_path, "trading/services/orders.py", "from markets.selectors import x\n")
    write(tmp_path, "trading/consumers.py", "from trading.services import orders\n")
    write(tmp_path, "trading/apps.py", "def ready():\n    from trading import consumers\n")
    write(tmp_path, "trading/routing.py", "from trading import consumers\n")
    write(tmp_path, "chains/api.py", "from accounts.services import tokens_for\n")
    # Outside the rules' reach: tests, migrations and benchmarks may import anything.
    write(tmp_path, "markets/tests/test_feed.py", "from trading import services\n")
    write(tmp_path, "trading/migrations/0001_initial.py", "from trading import views\n")
    write(tmp_path, "bench/run.py", "from trading import consumers\n" + "x = 1\n" * 400)
    return tmp_path


def test_a_tree_within_the_rules_has_no_violation(tree):
    assert domains_importing_trading(tree) == []
    assert core_importing_apps(tree) == []
    assert rules_importing_screens(tree) == []
    assert screens_crossing_apps(tree) == []
    assert modules_over_size(tree) == []


def test_rule_a_catches_markets_or_accounts_importing_trading_or_chains(tree):
    write(tree, "markets/feed.py", "def tick():\n    from trading.services import on_tick\n")
    write(tree, "accounts/services.py", "import importlib\nimportlib.import_module('chains.api')\n")
    write(
        tree,
        "accounts/models.py",
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from chains.models import Wallet\n",
    )

    violations = domains_importing_trading(tree)

    assert [v.split(" ")[0] for v in violations] == [
        "accounts/models.py:3:",
        "accounts/services.py:2:",
        "markets/feed.py:2:",
    ]
    assert "rule a" in violations[1] and "imports chains.api" in violations[1]
    assert "imports trading.services" in violations[2]


def test_rule_b_catches_the_core_importing_an_app(tree):
    write(tree, "cryptovault/health.py", "def check():\n    import markets.selectors\n")
    write(
        tree,
        "cryptovault/tasks.py",
        "from django.utils.module_loading import import_string\n"
        "job = import_string('accounts.services.email_send')\n",
    )

    violations = core_importing_apps(tree)

    assert [v.split(" ")[0] for v in violations] == [
        "cryptovault/health.py:2:",
        "cryptovault/tasks.py:2:",
    ]
    assert "rule b" in violations[1] and "imports accounts.services" in violations[1]


def test_rule_c_catches_a_rules_module_importing_a_screen(tree):
    write(tree, "trading/services/orders.py", "def push():\n    from .. import consumers\n")
    write(tree, "markets/selectors.py", "from markets.api.board import BoardApi\n")
    write(tree, "trading/receivers.py", "from trading.templatetags.money import usd\n")
    write(tree, "markets/apps.py", "def ready():\n    from trading import consumers\n")

    violations = rules_importing_screens(tree)

    assert [v.split(" ")[0] for v in violations] == [
        "markets/apps.py:2:",  # apps.py may import its own app's screens, not another's
        "markets/selectors.py:1:",
        "trading/receivers.py:1:",
        "trading/services/orders.py:2:",
    ]
    assert all("rule c" in v for v in violations)
    assert "imports trading.consumers" in violations[-1]  # the relative import, resolved


def test_rule_d_catches_a_screen_importing_another_apps_screen(tree):
    write(
        tree,
        "chains/api.py",
        "def login():\n    from accounts.api import tokens_for\n    from accounts import views\n",
    )
    write(tree, "markets/admin.py", "from trading.admin import OrderAdmin\n")

    violations = screens_crossing_apps(tree)

    assert [v.split(" ")[0] for v in violations] == [
        "chains/api.py:2:",
        "chains/api.py:3:",
        "markets/admin.py:1:",
    ]
    assert "rule d" in violations[0] and "imports accounts.api" in violations[0]
    assert "imports accounts.views" in violations[1]


def test_rule_e_catches_a_module_over_the_ceiling(tree):
    write(tree, "trading/services/ledger.py", "x = 1\n" * (MAX_LINES + 1))
    write(tree, "markets/prices.py", "x = 1\n" * MAX_LINES)  # at the ceiling: allowed

    violations = modules_over_size(tree)

    assert violations == [
        f"trading/services/ledger.py:{MAX_LINES + 1}: {MAX_LINES + 1} lines, "
        f"over the {MAX_LINES}-line ceiling (rule e: cut the module by job)"
    ]
