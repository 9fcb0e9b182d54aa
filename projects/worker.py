"""The worker: claim one due generation, run its state's handler, give it back.

The queue is the Generation table (GenerationQuerySet.claim_next). `HANDLERS` maps
every state the worker looks at to a function of a few lines that calls Generation's
life-cycle methods; a test fails if a state in Generation.WORKER_STATES has none. A
successful generation whose final cost is pending is the worker's too (settle_late).
"""

import contextlib
import io
import logging
import os
import random
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError, connections
from django.utils import timezone

from projects import media
from projects.kinovi.client import (
    AccessNotEnabled,
    AnswerLost,
    AuthenticationFailed,
    ConcurrencyLimit,
    DownloadFailed,
    DownloadRefused,
    InsufficientCredits,
    InvalidRequest,
    KinoviClient,
    KinoviError,
    TaskInfo,
    TaskNotFound,
    TaskStatus,
)
from projects.models import DispatchGate, DispatchRefusal, Generation, KinoviAlert
from projects.models.generation import UNKNOWN_RECHECK, StoredOutput
from projects.models.uploads import references_through_uploads, with_uploaded_references

log = logging.getLogger(__name__)
S = Generation.Status

# Refusals that retrying won't change; the account ones are also an admin's business.
REFUSED = (InvalidRequest, AuthenticationFailed, InsufficientCredits, AccessNotEnabled)
ACCOUNT_PROBLEMS = (AuthenticationFailed, InsufficientCredits, AccessNotEnabled)
RETRY_MAX_SECONDS = 300
GATE_RECHECK_SECONDS = 1.0
# Due generations claimed at once: following hundreds of tasks, a claim per poll would
# cost as much as the poll.
CLAIM_BATCH = 10
LAST_FRAME_MAX_BYTES = 20 * 2**20
# What a lost database connection raises: a restart, a failover, a dropped link.
DATABASE_LOST = (OperationalError, InterfaceError)
# Waits between tries while the database is away: doubling, at most the last.
OUTAGE_FIRST_WAIT_SECONDS = 0.5
OUTAGE_MAX_WAIT_SECONDS = 30.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


_clients: dict[tuple[str, str, float], KinoviClient] = {}


def kinovi() -> KinoviClient:
    """This process's client (one connection pool), for the configured Kinovi."""
    key = (settings.KINOVI_BASE_URL, settings.KINOVI_API_KEY, settings.KINOVI_TIMEOUT_SECONDS)
    if key not in _clients:
        base_url, api_key, seconds = key
        timeout = httpx.Timeout(seconds, connect=min(seconds, 5.0))
        _clients[key] = KinoviClient(base_url, api_key, timeout=timeout)
    return _clients[key]


def backoff_seconds(attempt: int) -> float:
    """Exponential with jitter, so retries of many generations don't arrive together."""
    base = settings.KINOVI_RETRY_SECONDS * 2 ** max(attempt - 1, 0)
    return min(base, RETRY_MAX_SECONDS) * random.uniform(0.8, 1.2)


# Handlers -----------------------------------------------------------------------------


def dispatch(generation: Generation) -> None:
    """queued: send createTask when a slot is free under the local limit."""
    if not generation.start_dispatch():
        generation.release(retry_in=settings.KINOVI_POLL_SECONDS)
        return
    body = _request_body(generation)
    if body is None:
        generation.release()
        return
    try:
        task_id = kinovi().create_task(body)
    except ConcurrencyLimit as error:
        generation.retry_later(
            backoff_seconds(1),
            f"Kinovi is busy ({error.message}); waiting for a free slot.",
            failed=False,
        )
        DispatchGate.objects.record_refusal(error.limit)
        DispatchRefusal.objects.record(error.status_code)
    except REFUSED as error:
        if isinstance(error, ACCOUNT_PROBLEMS):
            KinoviAlert.objects.raise_for(error.status_code, error.message)
        generation.give_up(_refusal_in_plain_words(error), code=str(error.status_code))
    except AnswerLost as error:
        generation.mark_unknown(
            f"Sent to Kinovi, but no answer came back ({error.message}). It may be running: "
            "its webhook or an admin's check will tell."
        )
    except KinoviError as error:
        _retry_or_give_up(generation, error)
    else:
        generation.accept(task_id)
    generation.release()


def _request_body(generation: Generation) -> dict | None:
    """The createTask body, its references uploaded first where Kinovi can't fetch them.

    None when an upload failed: the generation is then retried later or given up.
    """
    body = generation.request_body()
    if not references_through_uploads():
        return body
    try:
        return with_uploaded_references(generation, body, kinovi())
    except KinoviError as error:
        if error.retryable:
            _retry_or_give_up(generation, error)
            return None
        if isinstance(error, ACCOUNT_PROBLEMS):
            KinoviAlert.objects.raise_for(error.status_code, error.message)
        generation.give_up(
            f"Kinovi refused a reference upload: {error.message}",
            code=str(error.status_code or "upload"),
        )
        return None


def interrupted_dispatch(generation: Generation) -> None:
    """submitting, with its lease run out: a worker stopped while sending it."""
    generation.mark_unknown(
        "The worker stopped while sending this to Kinovi; it may or may not have been created."
    )
    generation.release()


def follow(generation: Generation) -> None:
    """waiting/generating: ask Kinovi, or give up asking after KINOVI_STUCK_MINUTES."""
    stuck_since = timezone.now() - timedelta(minutes=settings.KINOVI_STUCK_MINUTES)
    if generation.accepted_at and generation.accepted_at < stuck_since:
        generation.mark_unknown(
            f"Kinovi hasn't finished it in {settings.KINOVI_STUCK_MINUTES} minutes."
        )
        generation.release()
        return
    info = _task_info(generation)
    if info is not None:
        _apply(generation, info)
    still_followed = generation.status in (S.WAITING, S.GENERATING)
    generation.release(retry_in=settings.KINOVI_POLL_SECONDS if still_followed else None)


def recheck(generation: Generation) -> None:
    """unknown: ask Kinovi about the task when its id is known (from a webhook, say).

    Without one, wait for a webhook naming it until KINOVI_UNKNOWN_RESOLVE_AFTER has
    passed, then fail it as never confirmed by Kinovi (refunded).
    """
    if not generation.task_id:
        resolve_at = generation.resolve_at
        if resolve_at is not None and resolve_at <= timezone.now():
            generation.resolve_never_confirmed()
            generation.release()
            return
        wait = settings.KINOVI_UNKNOWN_RESOLVE_AFTER * 60.0
        if resolve_at is not None:
            wait = (resolve_at - timezone.now()).total_seconds()
        generation.release(retry_in=wait)
        return
    info = _task_info(generation)
    # A lost create answer is rescued at any stage (and asked about at the pace of a
    # poll until then); a stuck task only by its end.
    rescuing = generation.accepted_at is None
    if info is not None and (info.is_finished or rescuing):
        _apply(generation, info)
    if generation.is_finished:
        generation.release()
    elif rescuing or generation.status != S.UNKNOWN:
        generation.release(retry_in=settings.KINOVI_POLL_SECONDS)
    else:
        generation.release(retry_in=UNKNOWN_RECHECK.total_seconds())


def settle_late(generation: Generation) -> None:
    """success, its final cost pending (Seedance 2.5 with a reference video): ask Kinovi's
    creditsUsed at every poll until it is final, then settle once (observe_charge)."""
    credits_used = None
    try:
        credits_used = kinovi().record_info(generation.task_id).credits_used
    except KinoviError as error:
        # Not known just now (or no longer): the wait's cap settles it in the end.
        log.warning("recordInfo for %s's final cost failed: %s", generation, error.message)
    generation.observe_charge(credits_used)
    generation.release(retry_in=settings.KINOVI_POLL_SECONDS if generation.settle_pending else None)


HANDLERS: dict[str, Callable[[Generation], None]] = {
    S.QUEUED: dispatch,
    S.SUBMITTING: interrupted_dispatch,
    S.WAITING: follow,
    S.GENERATING: follow,
    S.UNKNOWN: recheck,
    # Only while its final cost is pending (Generation.SETTLE_PENDING).
    S.SUCCESS: settle_late,
}


def work_once(worker_id: str) -> bool:
    """Handle a batch of due generations. Returns False when there was nothing to do."""
    return bool(work_batch(worker_id))


def work_batch(worker_id: str) -> int:
    """Handle a batch of due generations; how many rows were claimed."""
    batch = Generation.objects.claim_due(
        worker_id, limit=CLAIM_BATCH, dispatching=dispatch_slots_free()
    )
    global _gate_seen
    if any(generation.status == S.QUEUED for generation in batch):
        _gate_seen = (float("-inf"), 0)  # slots were just taken: ask again next pass
    for generation in batch:
        if not _still_leased(generation):
            continue  # another worker has it now
        try:
            HANDLERS[generation.status](generation)
        except DATABASE_LOST:
            raise  # not this row's fault, and nothing can be written now: DatabaseOutage
        except Exception:
            log.exception("handling %s failed; retrying in 30 s", generation)
            generation.release(retry_in=30)
    return len(batch)


class DatabaseOutage:
    """How a worker rides out a database that went away (a restart, a failover).

    A pass that loses the connection stops where it is; the broken connection is
    closed, the worker waits (doubling, up to OUTAGE_MAX_WAIT_SECONDS) and tries
    again, with one line in the log per outage rather than a traceback per row. Once
    the database answers, the rows this worker held are given back, due at once.
    """

    def __init__(self, worker_id: str) -> None:
        self.worker_id = worker_id
        self.since: float | None = None
        self.failures = 0

    @property
    def active(self) -> bool:
        return self.since is not None

    def wait_seconds(self) -> float:
        wait = OUTAGE_FIRST_WAIT_SECONDS * 2 ** max(self.failures - 1, 0)
        return min(wait, OUTAGE_MAX_WAIT_SECONDS)

    def work_batch(self) -> int:
        """work_batch(), surviving a lost database: the rows handled, 0 while it is away."""
        try:
            worked = work_batch(self.worker_id)
            if self.active:  # a whole pass went through: the database is back
                self._recover()
        except DATABASE_LOST as error:
            self._lost(error)
            return 0
        return worked

    def _lost(self, error: Exception) -> None:
        for connection in connections.all(initialized_only=True):
            with contextlib.suppress(Exception):  # it is broken: closing may complain
                connection.close()
        self.failures += 1
        if self.since is None:
            self.since = time.monotonic()
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
            log.warning(
                "the database is unreachable (%s); worker %s waits and tries again",
                reason,
                self.worker_id,
            )

    def _recover(self) -> None:
        # Rows leased when the connection broke would otherwise wait out their lease.
        Generation.objects.filter(claimed_by=self.worker_id).update(
            claimed_by="", claimed_until=None
        )
        log.info(
            "the database is back after %.1f s; worker %s carries on",
            time.monotonic() - self.since,
            self.worker_id,
        )
        self.since = None
        self.failures = 0


# Helpers ------------------------------------------------------------------------------


def _still_leased(generation: Generation) -> bool:
    """Renew the lease of a batch's later rows when slow answers used most of it."""
    left = generation.claimed_until - timezone.now()
    if left.total_seconds() >= settings.KINOVI_TIMEOUT_SECONDS * 2:
        return True
    return generation.extend_lease(settings.WORKER_LEASE_SECONDS)


_gate_seen: tuple[float, int] = (float("-inf"), 0)


def dispatch_slots_free() -> int:
    """How many queued generations to claim: asked at most once a GATE_RECHECK_SECONDS.

    Following 500 tasks means 100 claims a second; the answer may be a second old
    because start_dispatch asks again, under lock, before anything is sent. Claiming
    no more queued rows than there are slots keeps them in the line's order: a row
    claimed and put back would wait a poll behind those after it.
    """
    global _gate_seen
    checked_at, free = _gate_seen
    if time.monotonic() - checked_at >= GATE_RECHECK_SECONDS:
        free = DispatchGate.objects.free_slots_now()
        _gate_seen = (time.monotonic(), free)
    return free


def _retry_or_give_up(generation: Generation, error: KinoviError) -> None:
    """5xx, unreachable, an answer we can't read: retry with backoff, within bounds."""
    DispatchRefusal.objects.record(error.status_code)
    if generation.attempts + 1 >= settings.KINOVI_MAX_ATTEMPTS:
        generation.give_up(
            f"Kinovi couldn't take it after {settings.KINOVI_MAX_ATTEMPTS} tries "
            f"(last: {error.message})",
            code=str(error.status_code or "unreachable"),
        )
        return
    seconds = backoff_seconds(generation.attempts + 1)
    generation.retry_later(seconds, f"Kinovi had a problem ({error.message}); trying again.")


def _refusal_in_plain_words(error: KinoviError) -> str:
    if isinstance(error, InvalidRequest):
        return f"Kinovi refused the request: {error.message}"
    if isinstance(error, InsufficientCredits):
        return f"Our Kinovi account is out of credits ({error.message}). An admin has been told."
    return f"Kinovi refused our account ({error.message}). An admin has been told."


def _task_info(generation: Generation) -> TaskInfo | None:
    """Kinovi's account of the task; None when it can't be had just now."""
    try:
        return kinovi().record_info(generation.task_id)
    except TaskNotFound:
        if generation.status != S.UNKNOWN:
            generation.mark_unknown(f"Kinovi doesn't know task {generation.task_id}.")
    except KinoviError as error:
        log.warning("recordInfo for %s failed: %s", generation, error.message)
    return None


def _apply(generation: Generation, info: TaskInfo) -> None:
    """Apply Kinovi's account; on success, copy the results into our storage first."""
    if info.status != TaskStatus.SUCCESS:
        generation.apply(info)
        return
    # Copying can outlast the lease: keep the row ours meanwhile.
    generation.extend_lease(settings.KINOVI_DOWNLOAD_TIMEOUT_SECONDS * 2)
    try:
        stored = archive_results(info)
    except DownloadRefused as error:
        log.warning("not keeping %s's video: %s", generation, error.message)
        stored = StoredOutput()
    except DownloadFailed as error:
        log.warning("fetching %s's video failed, trying again: %s", generation, error.message)
        return
    if not generation.apply(info, stored):
        _delete_files(stored)


def archive_results(info: TaskInfo) -> StoredOutput:
    """Copy the output video into our storage, with a poster and the last frame.

    Kinovi's result links expire; ours don't. The last frame is Kinovi's
    `lastFrameImage` when it sends one, else taken from the video. A video our decoder
    can't read is kept without the stills (see `_still`).
    """
    if not info.outputs:
        return StoredOutput()
    client = kinovi()
    max_bytes = settings.KINOVI_DOWNLOAD_MAX_MB * 2**20
    timeout = settings.KINOVI_DOWNLOAD_TIMEOUT_SECONDS
    stored = StoredOutput()
    try:
        with tempfile.TemporaryDirectory(prefix="kinovi-") as folder:
            path = Path(folder) / "output.mp4"
            with path.open("wb") as file:
                client.download(info.outputs[0].url, file, max_bytes=max_bytes, timeout=timeout)
            with path.open("rb") as file:
                stored = replace(
                    stored, video=default_storage.save(_key("outputs", "mp4"), File(file))
                )
            if poster := _still(media.poster_frame, path, info):
                stored = replace(stored, poster=_save("posters", "webp", poster))
            frame, extension = _kinovis_last_frame(client, info, timeout) or (
                _still(media.last_frame_png, path, info),
                "png",
            )
            if frame:
                stored = replace(stored, last_frame=_save("frames", extension, frame))
    except BaseException:
        _delete_files(stored)
        raise
    return stored


def _still(take: Callable[[str], bytes], path: Path, info: TaskInfo) -> bytes | None:
    """A still taken from Kinovi's video, or None when our decoder can't read it.

    The task succeeded and Kinovi charged for it, and a browser may well play what
    PyAV can't: the generation succeeds with the video and without this still,
    rather than retrying a decode that will fail the same way every time.
    """
    try:
        return take(str(path))
    except media.MediaError as error:
        log.warning("%s of task %s: %s", take.__name__, info.task_id, error)
        return None


def _kinovis_last_frame(
    client: KinoviClient, info: TaskInfo, timeout: float
) -> tuple[bytes, str] | None:
    """Kinovi's `lastFrameImage` and its extension, if it sent one that is an image."""
    if not info.last_frame_url:
        return None
    buffer = io.BytesIO()
    try:
        client.download(
            info.last_frame_url, buffer, max_bytes=LAST_FRAME_MAX_BYTES, timeout=timeout
        )
    except DownloadRefused as error:
        log.warning("not keeping Kinovi's last frame: %s", error.message)
        return None
    image = buffer.getvalue()
    sniffed = media.sniff(image[: media.HEAD_SIZE])
    if sniffed is None or sniffed.kind != media.Kind.IMAGE:
        log.warning("Kinovi's last frame of %s isn't an image; taking our own", info.task_id)
        return None
    return image, sniffed.extension


def _key(folder: str, extension: str) -> str:
    return f"{folder}/{os.urandom(18).hex()}.{extension}"


def _save(folder: str, extension: str, content: bytes) -> str:
    return default_storage.save(_key(folder, extension), ContentFile(content))


def _delete_files(stored: StoredOutput) -> None:
    for name in (stored.video, stored.poster, stored.last_frame):
        if name:
            default_storage.delete(name)
