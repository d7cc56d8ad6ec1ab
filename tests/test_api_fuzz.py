"""Fuzzing the API against its own OpenAPI schema (schemathesis, in process).

Every operation in ``/api/schema/`` gets generated requests, valid and invalid, sent
through the WSGI application with a verified, funded user's access token. Two checks
hold for each answer:

- ``not_a_server_error``: no input, however odd, answers 5xx (SPEC §6);
- ``status_code_conformance``: the status is one the schema documents, so the error
  answers ``cryptovault.schema.AutoSchema`` documents are the ones the API gives.

The budget is fixed and the generation derandomized with a fixed seed, so a run is
reproducible (a failure here fails the same way again) and takes about a minute.
Chains have no RPC URL here, so their operations answer the designed 503
``rpc_not_configured`` (documented) instead of reaching a network.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from accounts.tokens import tokens_for
from chains.registry import CHAINS
from cryptovault.wsgi import application
from trading.tests.factories import TraderFactory

pytestmark = pytest.mark.fuzz

# Examples per operation in the fuzzing phase (the coverage phase adds its own fixed
# set of boundary and negative cases). About 35 operations: well under 90 s here.
MAX_EXAMPLES = 25
ORDER_EXAMPLES = 60
SEED = 20251111


# Ids that exist, mixed into what is generated: random strings almost never name a
# tracked coin or a supported chain, so the code past the lookup would go untested.
SEEDED_COINS = [row[0] for row in import_module("markets.migrations.0002_seed_coins").COINS]
ID_DICTIONARY = {"dictionary": "coins", "probability": 0.6}
CHAIN_DICTIONARY = {"dictionary": "chains", "probability": 0.6}

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "dictionaries": {
            "coins": {"values": SEEDED_COINS},
            "chains": {"values": sorted(CHAINS)},
        },
        "parameters": {
            "path.coin_id": ID_DICTIONARY,
            "query.coin": ID_DICTIONARY,
            "body.coin": ID_DICTIONARY,
            "path.chain_id": CHAIN_DICTIONARY,
            "body.chain_id": CHAIN_DICTIONARY,
        },
        "generation": {
            "mode": "all",  # valid inputs and invalid ones
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,  # Hypothesis' derandomize: the same cases every run
            "database": "none",  # no example store on disk that would change the next run
        },
        "operations": [
            # Money in, where odd amounts and prices would hurt most: a larger budget.
            {
                "include-path": "/api/orders",
                "include-method": "POST",
                "generation": {"max-examples": ORDER_EXAMPLES},
            }
        ],
        "phases": {
            # Boundary values, missing and wrong-typed parameters, unlisted methods.
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "examples": {"enabled": False},  # the schema holds none
        },
    }
)

# Loaded once, at collection, through the WSGI application: what clients are served.
# Not from a fixture: schemathesis.pytest.from_fixture() sets Node._nodeid, which
# pytest 9 no longer has. Serving the schema reads no database, so collection can.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)


@pytest.fixture
def bearer(db: None, settings: Any) -> dict[str, str]:
    """A verified trader holding the demo dollars, so orders can fill, as an
    Authorization header; and no chain RPC, so chain calls answer the designed 503
    offline."""
    settings.CHAIN_RPC_URLS = {}
    trader = TraderFactory.create(email="ada@example.com", name="Ada")
    return {"Authorization": f"Bearer {tokens_for(trader)['access']}"}


@pytest.fixture
def no_constants_from_loaded_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hypothesis mixes into its draws the constants of whatever project modules are
    loaded (sys.modules), and that depends on the tests run before this one: the same
    seed would send other requests in the full suite than in this file alone, and a
    failure seen in CI would not come back here. Only its built-in constants, then.
    (A private hook, so hypothesis is pinned in requirements-dev.txt; schemathesis still
    adds the constants it reads from the app's code, the same for a given commit.)"""
    from hypothesis.internal.conjecture import providers
    from hypothesis.internal.constants_ast import Constants

    monkeypatch.setattr(providers, "_get_local_constants", Constants)
    providers.CONSTANTS_CACHE.cache.clear()


@pytest.fixture
def connection_kept() -> Iterator[None]:
    """Requests reach the WSGI application straight, so Django's request signals would
    close the database connection after each one, and with it the test's transaction
    (PostgreSQL). Django's own test client unhooks them the same way."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@schema.parametrize()
# The token is made once per operation and only read: the same for every input.
@hypothesis.settings(suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture])
def test_every_operation_answers_as_its_schema_says(
    case: schemathesis.Case,
    bearer: dict[str, str],
    connection_kept: None,
    no_constants_from_loaded_modules: None,
) -> None:
    # Rate-limit counters are cleared before each request: otherwise the limited POSTs
    # answer 429 (documented) after a few examples and the rest never reach the code.
    caches[django_settings.RATELIMIT_USE_CACHE].clear()
    response = case.call(headers=bearer)
    checks = [not_a_server_error, status_code_conformance]
    if _designed_unavailable(response):
        checks = [status_code_conformance]  # a 5xx by design: it must still be documented
    case.validate_response(response, checks=checks, headers=bearer)


def _designed_unavailable(response: schemathesis.Response) -> bool:
    """The one 5xx that is not a server error: a chain without an RPC URL here (SPEC §5)."""
    if response.status_code != 503:
        return False
    try:
        return bool(response.json().get("code") == "rpc_not_configured")
    except ValueError:
        return False
