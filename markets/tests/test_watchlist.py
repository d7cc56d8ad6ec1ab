"""The watchlist API (issue 14): each rule and each refusal of GET/PUT/DELETE /api/watchlist."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory, api_for
from markets.models import Coin, WatchlistEntry
from markets.selectors import watchlist_coin_ids, watchlist_coins
from markets.services import WATCHLIST_RATE

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(user) -> APIClient:
    return api_for(user)


def test_a_new_watchlist_is_empty(api):
    answer = api.get("/api/watchlist")

    assert answer.status_code == 200
    assert answer.json() == {"coins": []}


def test_adding_coins_lists_them_in_the_order_added(api):
    first = api.put("/api/watchlist/solana")
    second = api.put("/api/watchlist/bitcoin")

    assert first.status_code == 200 and first.json() == {"coins": ["solana"]}
    assert second.status_code == 200 and second.json() == {"coins": ["solana", "bitcoin"]}
    assert api.get("/api/watchlist").json() == {"coins": ["solana", "bitcoin"]}


def test_adding_a_coin_again_changes_nothing_and_it_keeps_its_place(api, user):
    api.put("/api/watchlist/solana")
    api.put("/api/watchlist/bitcoin")

    again = api.put("/api/watchlist/solana")

    assert again.status_code == 200
    assert again.json() == {"coins": ["solana", "bitcoin"]}
    assert WatchlistEntry.objects.filter(user=user, coin_id="solana").count() == 1


def test_removing_a_coin_answers_204_and_it_is_gone(api):
    api.put("/api/watchlist/solana")
    api.put("/api/watchlist/bitcoin")

    removed = api.delete("/api/watchlist/solana")

    assert removed.status_code == 204
    assert removed.content == b""
    assert api.get("/api/watchlist").json() == {"coins": ["bitcoin"]}


def test_removing_a_tracked_coin_not_watched_is_no_error(api):
    assert api.delete("/api/watchlist/ethereum").status_code == 204


@pytest.mark.parametrize("method", ["put", "delete"])
def test_an_unknown_coin_is_not_found(api, method):
    answer = getattr(api, method)("/api/watchlist/not-a-coin")

    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"
    assert "not-a-coin" in answer.json()["detail"]


def test_a_coin_no_longer_tracked_cannot_be_added_and_leaves_the_list(api, user):
    api.put("/api/watchlist/tron")
    api.put("/api/watchlist/bitcoin")
    Coin.objects.filter(pk="tron").update(is_tracked=False)

    assert api.get("/api/watchlist").json() == {"coins": ["bitcoin"]}
    assert api.put("/api/watchlist/tron").status_code == 404


def test_replacing_the_list_keeps_the_order_given_once_per_coin(api):
    api.put("/api/watchlist/tron")

    answer = api.put(
        "/api/watchlist", {"coins": ["dogecoin", "bitcoin", "dogecoin"]}, format="json"
    )

    assert answer.status_code == 200
    assert answer.json() == {"coins": ["dogecoin", "bitcoin"]}
    assert api.get("/api/watchlist").json() == {"coins": ["dogecoin", "bitcoin"]}
    # What is added next comes after the replaced list.
    assert api.put("/api/watchlist/tron").json() == {"coins": ["dogecoin", "bitcoin", "tron"]}


def test_replacing_with_an_empty_list_clears_it(api):
    api.put("/api/watchlist/tron")

    answer = api.put("/api/watchlist", {"coins": []}, format="json")

    assert answer.status_code == 200 and answer.json() == {"coins": []}


def test_replacing_with_an_unknown_coin_is_refused_naming_coins_and_changes_nothing(api):
    api.put("/api/watchlist/tron")

    answer = api.put("/api/watchlist", {"coins": ["bitcoin", "not-a-coin"]}, format="json")

    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "unknown_coin"
    assert "not-a-coin" in body["errors"]["coins"][0]
    assert api.get("/api/watchlist").json() == {"coins": ["tron"]}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"coins": "bitcoin"},
        {"coins": None},
        {"coins": [None]},
        {"coins": [["bitcoin"]]},
        {"coins": ["x" * 65]},
        {"coins": ["bitcoin"] * 501},
    ],
    ids=["missing", "a string", "null", "a null id", "a nested list", "too long", "too many"],
)
def test_a_replacement_that_is_no_list_of_ids_is_refused_naming_coins(api, body):
    answer = api.put("/api/watchlist", body, format="json")

    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid"
    assert "coins" in answer.json()["errors"]


def test_a_body_that_is_no_object_is_a_400(api):
    answer = api.put("/api/watchlist", ["bitcoin"], format="json")

    assert answer.status_code == 400


def test_each_user_has_their_own_list(api, user):
    other = UserFactory.create()
    api_for(other).put("/api/watchlist/cardano")

    api.put("/api/watchlist/bitcoin")

    assert api.get("/api/watchlist").json() == {"coins": ["bitcoin"]}
    assert watchlist_coin_ids(user=other) == ["cardano"]
    assert [coin.symbol for coin in watchlist_coins(user=user)] == ["btc"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/watchlist"),
        ("put", "/api/watchlist"),
        ("put", "/api/watchlist/bitcoin"),
        ("delete", "/api/watchlist/bitcoin"),
    ],
)
def test_logged_out_callers_are_refused(method, path):
    answer = getattr(APIClient(), method)(path, {"coins": []}, format="json")

    assert answer.status_code == 401
    assert answer.json()["code"] == "not_authenticated"
    assert not WatchlistEntry.objects.exists()


def test_a_session_change_without_its_csrf_token_is_refused(user):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(user)

    assert browser.get("/api/watchlist").status_code == 200
    assert browser.put("/api/watchlist/bitcoin").status_code == 403
    assert not WatchlistEntry.objects.exists()


def test_changes_are_rate_limited_with_retry_after(api):
    allowed = int(WATCHLIST_RATE.split("/")[0])
    for index in range(allowed):
        coin = "bitcoin" if index % 2 else "ethereum"
        assert api.put(f"/api/watchlist/{coin}").status_code == 200

    refused = api.delete("/api/watchlist/bitcoin")

    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert int(refused["Retry-After"]) >= 1
    assert api.get("/api/watchlist").status_code == 200  # reading is not limited


def test_the_schema_documents_every_watchlist_operation(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    whole, one = schema["paths"]["/api/watchlist"], schema["paths"]["/api/watchlist/{coin_id}"]
    assert {whole["get"]["operationId"], whole["put"]["operationId"]} == {
        "watchlist_list",
        "watchlist_replace",
    }
    assert one["put"]["operationId"] == "watchlist_add"
    assert one["delete"]["operationId"] == "watchlist_remove"
    assert {"200", "400", "401", "429"} <= set(whole["put"]["responses"])
    assert {"200", "401", "404", "429"} <= set(one["put"]["responses"])
    assert {"204", "401", "404", "429"} <= set(one["delete"]["responses"])
