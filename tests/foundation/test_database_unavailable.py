"""A web request while the database is restarting answers the app's 503 page, not a 500."""

import contextlib

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import Client


@contextlib.contextmanager
def database_down(error):
    """Every query fails as it does while the server restarts."""

    def refuse(execute, sql, params, many, context):
        raise error("server closed the connection unexpectedly")

    with connection.execute_wrapper(refuse):
        yield


def _client(user=None):
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_page_whose_middleware_loses_the_database_says_it_is_restarting(alice, error):
    client = _client(alice)
    with database_down(error):
        response = client.get("/")  # the session and the current team need the database
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    text = response.content.decode()
    assert "The database is restarting. Try again in a moment." in text
    assert "Something went wrong" not in text


def test_a_view_that_loses_the_database_says_it_is_restarting(db):
    client = _client()
    with database_down(OperationalError):
        response = client.post("/hooks/kinovi/12.abc/", b"{}", content_type="application/json")
    assert response.status_code == 503
    assert "The database is restarting" in response.content.decode()


def test_it_answers_the_login_page_too(db):
    with database_down(OperationalError):
        response = _client().post("/accounts/login/", {"username": "a", "password": "b"})
    assert response.status_code == 503


@pytest.mark.urls("tests.foundation.failing_urls")
def test_other_failures_are_still_the_500_page(db):
    response = _client().get("/crash/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert "restarting" not in response.content.decode()
