"""When the app database is down, ingress raises: Service Bus redelivers the message (here
until it dead-letters) instead of it being quarantined, and the API answers problem 500s."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from api_support import ApiApp, header, running_app


@pytest.fixture(scope="module")
def database_down(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiApp]:
    folder = tmp_path_factory.mktemp("api_app_db_down")
    # The "database file" is a folder: every connection fails with sqlite's OperationalError.
    (folder / "app-db-is-a-folder").mkdir()
    with running_app(folder, DATABASE_URL=f"sqlite:///{folder / 'app-db-is-a-folder'}") as running:
        yield running


def test_a_valid_message_is_redelivered_not_quarantined(database_down: ApiApp) -> None:
    message = {
        "documentId": str(uuid.uuid4()),
        "physicalName": "sales.orders",
        "databaseName": "warehouse",
        "changeType": "Altered",
        "requestedBy": "rita.requester@example.com",
    }

    message_id = database_down.send(json.dumps(message))

    dead = database_down.dead_letters()
    assert [m["messageId"] for m in dead] == [message_id]
    assert dead[0]["deadLetterReason"] == "MaxDeliveryCountExceeded"
    assert dead[0]["deliveryCount"] == 10
    assert database_down.host.status(message["documentId"]) is None


def test_the_api_answers_a_problem_503_without_internals(database_down: ApiApp) -> None:
    answer = database_down.host.http("GET", f"/api/documents/{uuid.uuid4()}")

    # The database is down, not the request wrong: try again later, as Retry-After says.
    assert answer.status == 503
    assert header(answer, "Content-Type").startswith("application/problem+json")
    assert header(answer, "Retry-After") == "5"
    assert answer.json()["title"] == "Service unavailable"
    assert "sqlite" not in answer.text.lower()
