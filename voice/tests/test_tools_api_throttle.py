"""Failed tools-API keys are throttled per client address; the right key uses up nothing."""

import pytest

pytestmark = pytest.mark.django_db

KEY = "tools-test-key-0123456789-abcdefghij"
ATTACKER = "203.0.113.7"
NEIGHBOUR = "203.0.113.8"


@pytest.fixture(autouse=True)
def api_key(settings):
    settings.TOOLS_API_KEY = KEY


def list_tools(client, address: str, key: str | None):
    headers = {} if key is None else {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    return client.get("/tools/", REMOTE_ADDR=address, **headers)


def test_the_fifth_wrong_key_locks_the_address_out_with_a_json_429(client):
    assert [list_tools(client, ATTACKER, "guess").status_code for _ in range(4)] == [401] * 4
    response = list_tools(client, ATTACKER, "guess")
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    body = response.json()
    assert body["success"] is False and "Too many failed sign-in attempts" in body["error"]


def test_a_locked_out_address_is_refused_even_with_the_right_key(client):
    for _ in range(5):
        list_tools(client, ATTACKER, "guess")
    assert list_tools(client, ATTACKER, KEY).status_code == 429
    assert list_tools(client, NEIGHBOUR, KEY).status_code == 200


def test_requests_without_a_key_and_with_the_right_key_use_up_nothing(client):
    for _ in range(10):
        assert list_tools(client, ATTACKER, None).status_code == 401
        assert list_tools(client, ATTACKER, KEY).status_code == 200
    assert [list_tools(client, ATTACKER, "guess").status_code for _ in range(4)] == [401] * 4
    assert list_tools(client, ATTACKER, KEY).status_code == 200
