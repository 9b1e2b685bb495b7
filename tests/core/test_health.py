"""/healthz: 200 while the database and the job queue answer, 503 (never 500) otherwise."""

from __future__ import annotations

import copy
from unittest import mock

import pytest
from django.db import OperationalError, connections
from django.db.utils import load_backend
from django.template.loader import render_to_string
from huey import RedisHuey


@pytest.fixture
def database_down():
    """Every new cursor on the default connection fails, as when the server has gone away."""
    error = OperationalError("server closed the connection unexpectedly")
    with mock.patch.object(connections["default"], "cursor", side_effect=error):
        yield


@pytest.fixture
def unreachable_database(monkeypatch):
    """A real connection to a database that is not there (a closed port, a missing file)."""
    params = copy.deepcopy(connections["default"].settings_dict)
    if params["ENGINE"].endswith("sqlite3"):
        params["NAME"] = "/nonexistent/xietong/db.sqlite3"
    else:
        params.update(HOST="127.0.0.1", PORT="1")
    wrapper = load_backend(params["ENGINE"]).DatabaseWrapper(params, alias="unreachable")
    monkeypatch.setattr("xietong.core.views.connection", wrapper)
    yield wrapper
    wrapper.close()


def test_it_answers_200_when_the_database_and_the_queue_answer(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "queue": "ok"}


def test_it_needs_no_sign_in(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200 and "Location" not in response


def test_it_answers_head_requests(db, client):
    assert client.head("/healthz").status_code == 200


def test_it_is_never_cached(db, client):
    assert "no-cache" in client.get("/healthz")["Cache-Control"]


def test_it_answers_503_when_the_database_fails(db, client, database_down):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "error: OperationalError"
    assert body["queue"] == "ok"


def test_it_answers_503_when_the_database_is_unreachable(db, client, unreachable_database):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error: OperationalError"


def test_it_answers_503_to_a_signed_in_browser_while_the_database_is_down(world, login):
    client = login(world.users["leader"])  # a session cookie, whose session lives in the DB
    error = OperationalError("server closed the connection unexpectedly")
    with mock.patch.object(connections["default"], "cursor", side_effect=error):
        response = client.get("/healthz")
    assert response.status_code == 503


def test_it_answers_503_when_the_job_queue_is_unreachable(db, client, monkeypatch):
    monkeypatch.setattr(
        "xietong.core.views.HUEY", RedisHuey("xietong-health", url="redis://127.0.0.1:1/0")
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "ok"
    assert response.json()["queue"].startswith("error: ")


def test_it_renders_the_error_page_without_the_database(db, database_down):
    html = render_to_string("500.html")
    assert 'data-testid="server-error"' in html and "500" in html


def test_it_serves_the_error_page_to_a_signed_in_user_while_the_database_is_down(world, login):
    client = login(world.users["leader"])
    client.raise_request_exception = False
    error = OperationalError("server closed the connection unexpectedly")
    with mock.patch.object(connections["default"], "cursor", side_effect=error):
        response = client.get("/")
    assert response.status_code == 500
    assert b'data-testid="server-error"' in response.content
