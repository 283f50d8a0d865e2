"""PostgreSQL down: /healthz answers 503 naming it whatever the request carries, and every other
page answers a short 503 and logs one line, not a traceback. The connection is pointed at a
port where nothing listens, as a stopped server would leave it."""

import logging
import socket

import pytest
from django.db import connection
from django.test import Client

from tests.factories.users import UserFactory


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # free again once closed: nothing listens there


@pytest.fixture
def database_down():
    """From here on the portal's connection cannot reach PostgreSQL; restored afterwards."""
    saved = dict(connection.settings_dict)

    def stop():
        connection.close()
        connection.settings_dict.update(HOST="127.0.0.1", PORT=_closed_port())

    yield stop
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


def _signed_in_cookie() -> str:
    user = UserFactory(role="patient", email="down@example.test")
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@pytest.mark.parametrize("cookie", ["signed-in", "unknown-session", None])
@pytest.mark.django_db(transaction=True)
def test_healthz_names_postgres_with_503_whatever_the_request_carries(database_down, cookie):
    client = Client(raise_request_exception=False)
    if cookie == "signed-in":
        client.cookies["sessionid"] = _signed_in_cookie()
    elif cookie:
        client.cookies["sessionid"] = "0" * 32
    database_down()
    response = client.get("/healthz", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 503
    assert response.json()["failing"] == ["postgres"]
    assert response.json()["checks"] == {"postgres": "unreachable", "redis": "ok"}


@pytest.mark.django_db(transaction=True)
def test_a_page_while_postgres_is_down_is_a_503_and_one_warning_line(database_down, caplog):
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = _signed_in_cookie()
    database_down()
    with caplog.at_level(logging.DEBUG):
        response = client.get("/my/")
    assert response.status_code == 503
    assert "try again in a minute" in response.content.decode()
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(problems) == 1, [r.getMessage() for r in problems]
    [line] = problems
    assert line.levelname == "WARNING"
    assert line.getMessage() == "database unavailable (OperationalError): GET /my/"
    assert line.exc_info is None and not line.exc_text


def test_an_unexpected_failure_keeps_its_traceback(caplog):
    logger = logging.getLogger("django.request")
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        logger.error("Internal Server Error: %s", "/x/", exc_info=True)
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelname == "ERROR"
    assert record.exc_info and record.exc_info[0] is RuntimeError
