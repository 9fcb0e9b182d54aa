"""/metrics: opt-in (METRICS_TOKEN), bearer-token protected, Prometheus text format."""

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from projects.models import DispatchRefusal, WorkerHeartbeat
from tests.generations.lifecycle_fixtures import *  # noqa: F403 (fixtures)

pytestmark = pytest.mark.django_db
TOKEN = "metrics-token-for-tests"


@pytest.fixture
def scrape(settings):
    settings.METRICS_TOKEN = TOKEN

    def get(token=TOKEN):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return Client().get("/metrics", headers=headers)

    return get


def samples(response) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return found


def test_it_does_not_exist_without_a_token_set(settings):
    settings.METRICS_TOKEN = ""
    assert Client().get("/metrics").status_code == 404
    assert Client().get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_it_wants_the_token(scrape):
    for token in (None, "wrong", TOKEN + "x"):
        response = scrape(token)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
        assert b"kinovi_web" not in response.content


def test_it_exports_the_queue_and_the_credits(scrape, make_generation):
    queued = [make_generation() for _ in range(3)]
    for generation in queued:
        generation.submit()
    assert queued[0].start_dispatch()
    queued[0].give_up("Refused for the test")  # refunded
    WorkerHeartbeat.objects.start()
    DispatchRefusal.objects.record(429)
    response = scrape()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    found = samples(response)
    assert found["kinovi_web_videos", (("state", "queued"),)] == 2
    assert found["kinovi_web_videos", (("state", "fail"),)] == 1
    assert found["kinovi_web_in_flight", ()] == 0
    assert found["kinovi_web_in_flight_limit", ()] == 5
    assert found["kinovi_web_kinovi_refusals_last_hour", (("kind", "429"),)] == 1
    assert found["kinovi_web_workers_alive", ()] == 1
    estimate = queued[0].credits_estimated
    assert found["kinovi_web_credits_reserved_total", ()] == 3 * estimate
    assert found["kinovi_web_credits_refunded_total", ()] == estimate
    assert found["kinovi_web_credits_settled_total", ()] == 0
    assert found["kinovi_web_oldest_queued_seconds", ()] >= 0
