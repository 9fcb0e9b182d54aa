"""Operations: liveness and readiness for a balancer or a supervisor; the staff status
and the Prometheus metrics.

Health and readiness need no login and name no secret: they say which part works, not how it is
set up. Readiness costs two queries (the applied migrations, a worker's heartbeat),
one small file written, read and deleted, and one request to Kinovi.
"""

import hmac
import logging
import secrets
from functools import cache

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from projects.forms.teams import ModelsForm
from projects.models import Generation, ModelAvailability, WorkerHeartbeat
from projects.models.operations import FORGET_AFTER, HEARTBEAT_FRESH, queue_figures
from projects.worker import kinovi

log = logging.getLogger(__name__)
KINOVI_PROBE_SECONDS = 2.0


@require_safe
@never_cache
def healthz(request):
    """The process answers: nothing else is asked (a balancer's liveness probe)."""
    return JsonResponse({"status": "ok"})


@require_safe
@never_cache
def readyz(request):
    """200 when every part a video needs works, else 503 naming the parts that don't."""
    checks = _database_and_migrations()
    if not checks["database"]:
        checks["worker"] = "not checked: no database"
    elif WorkerHeartbeat.objects.alive().exists():
        checks["worker"] = "ok"
    else:
        checks["worker"] = f"no worker heartbeat in {HEARTBEAT_FRESH.seconds} s"
    checks["storage"] = "ok" if _storage_writes_and_reads() else "cannot write and read a file"
    checks["kinovi"] = "ok" if kinovi().reachable(KINOVI_PROBE_SECONDS) else "unreachable"
    failed = [name for name, state in checks.items() if state != "ok"]
    return JsonResponse(
        {"status": "failing" if failed else "ok", "failed": failed, "checks": checks},
        status=503 if failed else 200,
    )


def _database_and_migrations() -> dict[str, str]:
    try:
        connection.ensure_connection()
    except DatabaseError:
        return {"database": "unreachable", "migrations": "not checked: no database"}
    try:
        applied = set(MigrationRecorder.Migration.objects.values_list("app", "name"))
    except DatabaseError:
        return {"database": "ok", "migrations": "none applied"}
    missing = _latest_migrations() - applied
    return {
        "database": "ok",
        "migrations": "ok" if not missing else f"{len(missing)} app(s) not migrated",
    }


@cache
def _latest_migrations() -> frozenset[tuple[str, str]]:
    """The last migration of every app, as this code has them (read once a process)."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes())


def _storage_writes_and_reads() -> bool:
    content = secrets.token_hex(16).encode()
    try:
        name = default_storage.save(f"readiness/{secrets.token_hex(12)}.txt", ContentFile(content))
        try:
            with default_storage.open(name) as file:
                return file.read() == content
        finally:
            default_storage.delete(name)
    except Exception as error:  # every backend fails in its own way
        log.warning("readiness: storage failed: %s", type(error).__name__)
        return False


@login_required
@require_safe
def staff_status(request):
    """Staff: the workers' heartbeats and the queue; anyone else gets 404."""
    if not request.user.is_staff:
        raise Http404
    figures = queue_figures()
    states = [
        (label, figures.by_state[value])
        for value, label in Generation.Status.choices
        if value not in Generation.FINISHED_STATES and value != Generation.Status.DRAFT
    ]
    return render(
        request,
        "projects/operations/status.html",
        {
            "figures": figures,
            "states": states,
            "workers": WorkerHeartbeat.objects.filter(
                last_beat_at__gte=timezone.now() - FORGET_AFTER
            )[:50],
            "fresh_seconds": HEARTBEAT_FRESH.seconds,
            "site_models_form": ModelsForm(
                initial={"off": sorted(ModelAvailability.objects.site_disabled())}, prefix="site"
            ),
        },
    )


class QueueCollector:
    """The status page's figures and the ledger's totals, read from the database when
    Prometheus scrapes: every process sees the same, so no per-process state to merge."""

    def collect(self):
        figures = queue_figures()
        videos = GaugeMetricFamily("kinovi_web_videos", "Videos by state", labels=["state"])
        for state, count in figures.by_state.items():
            videos.add_metric([state], count)
        yield videos
        yield GaugeMetricFamily(
            "kinovi_web_in_flight", "Tasks in flight at Kinovi", value=figures.in_flight
        )
        yield GaugeMetricFamily(
            "kinovi_web_in_flight_limit", "Tasks allowed in flight", value=figures.limit
        )
        yield GaugeMetricFamily(
            "kinovi_web_oldest_queued_seconds",
            "Age of the oldest queued video (0 when none)",
            value=figures.oldest_queued_seconds or 0,
        )
        refusals = GaugeMetricFamily(
            "kinovi_web_kinovi_refusals_last_hour",
            "createTask calls Kinovi refused for now in the last hour",
            labels=["kind"],
        )
        for kind, count in figures.refusals_last_hour.items():
            refusals.add_metric([kind], count)
        yield refusals
        latency = GaugeMetricFamily(
            "kinovi_web_dispatch_latency_seconds",
            "Queued to accepted by Kinovi, videos accepted in the last hour",
            labels=["quantile"],
        )
        latency.add_metric(["0.5"], figures.dispatch_latency_median or 0)
        latency.add_metric(["1"], figures.dispatch_latency_max or 0)
        yield latency
        yield GaugeMetricFamily(
            "kinovi_web_workers_alive",
            f"Workers that beat in the last {HEARTBEAT_FRESH.seconds} s",
            value=WorkerHeartbeat.objects.alive().count(),
        )
        for kind, help_text in (
            ("reserved", "Credits reserved at submission"),
            ("settled", "Credits Kinovi charged for finished videos"),
            ("refunded", "Credits refunded for failed videos"),
        ):
            yield CounterMetricFamily(
                f"kinovi_web_credits_{kind}", help_text, value=figures.credits[kind]
            )


_registry = CollectorRegistry(auto_describe=False)
_registry.register(QueueCollector())


@require_safe
@never_cache
def metrics(request):
    """Prometheus text format, for the bearer of METRICS_TOKEN; 404 while it is unset."""
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(offered.encode(), token.encode()):
        response = HttpResponse("A bearer token is needed.", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(_registry), content_type=CONTENT_TYPE_LATEST)
