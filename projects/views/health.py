"""Operations: liveness and readiness for a balancer or a supervisor; the staff status.

Neither needs a login nor names a secret: they say which part works, not how it is
set up. Readiness costs two queries (the applied migrations, a worker's heartbeat),
one small file written, read and deleted, and one request to Kinovi.
"""

import logging
import secrets
from functools import cache

from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from projects.models import Generation, WorkerHeartbeat
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
        },
    )
