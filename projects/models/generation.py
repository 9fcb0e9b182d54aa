"""Generations: a video asked of Kinovi, the references it was sent with, its life cycle.

Every status change is one method of `Generation` (`submit`, `start_dispatch`, `accept`,
`retry_later`, `apply`, `give_up`, `mark_unknown`) that checks the transition and writes
its ledger row in the same transaction; the worker's handlers, the webhook view and the
admin only call them. The library domain doesn't import this module; this module builds
on the library (assets, characters) and on the credits ledger.
"""

import functools
import hashlib
import hmac
import logging
import math
import re
import secrets
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connections, models, transaction
from django.db.models import Q, Window
from django.db.models.functions import RowNumber
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone

from projects.kinovi import pricing
from projects.kinovi.catalogue import CATALOGUE, DEFAULT_RESOLUTION
from projects.kinovi.client import TaskInfo, TaskStatus, explain_failure
from projects.kinovi.request import ReferenceMedia
from projects.models import credits
from projects.models.library import Character, Kind, ReferenceAsset
from projects.models.project import Project

__all__ = [
    "DispatchGate",
    "Generation",
    "GenerationReference",
    "InvalidTransition",
    "KinoviAlert",
    "StoredOutput",
]

log = logging.getLogger(__name__)

# How long an unknown generation waits before the worker asks Kinovi about its task
# again (Kinovi asks not to call a task stuck before ~10 minutes); without a task id
# there is nothing to ask: it waits KINOVI_UNKNOWN_RESOLVE_AFTER for a webhook naming
# one, then fails as never confirmed by Kinovi (refunded).
UNKNOWN_RECHECK = timedelta(minutes=10)
# Tries of a claim whose rows another worker took first, before reporting none due.
CLAIM_ROUNDS = 5
# Kinovi's answers about our account (401, 402, 403), kept as a failed video's error code.
ACCOUNT_PROBLEM_CODES = ("401", "402", "403")
# A model that settles after success (Seedance 2.5 with a reference video): Kinovi's
# creditsUsed first shows what it reserved (length x rate), then the final charge. The
# settle waits until the same figure, not that first one, has been reported for
# LATE_CHARGE_STABLE; after LATE_CHARGE_MAX_WAIT from success the last figure settles.
LATE_CHARGE_STABLE = timedelta(seconds=30)
LATE_CHARGE_MAX_WAIT = timedelta(minutes=10)


# A failed video's reason in the user's words: its message when that reads as a sentence
# (Kinovi's task failures and the worker's refusals do), otherwise by its error code, or
# FAILURE_FALLBACK.
FAILURE_SENTENCES = {
    "unreachable": "Kinovi could not be reached, so the video was not made.",
    "upload": "A reference could not be sent to Kinovi, so the video was not made.",
    "429": "Kinovi was too busy to take the video, so it was not made.",
    "401": "Kinovi refused our account, so the video was not made. An admin has been told.",
    "402": "Our Kinovi account is out of credits, so the video was not made. "
    "An admin has been told.",
    "403": "Kinovi refused our account, so the video was not made. An admin has been told.",
    "never_confirmed": "Kinovi never confirmed it was making this video.",
}
SERVER_PROBLEM = "Kinovi had a problem and could not make the video."
FAILURE_FALLBACK = "Kinovi refused the video."
# What a message meant for developers looks like: an exception's name, a URL, a path.
_NOT_FOR_USERS = re.compile(
    r"\b[A-Z]\w*(?:Error|Exception|Timeout|Failed)\b|Traceback|https?://|/\w+/\w+|[{}<>]"
)


def failure_sentence(code: str | None, message: str | None) -> str:
    """Why a video failed, in a sentence its author can read: never an exception's name
    or a request path (those stay in `error_message`, for admins)."""
    message = " ".join((message or "").split())
    if message and not _NOT_FOR_USERS.search(message):
        return message
    code = code or ""
    if code in FAILURE_SENTENCES:
        return FAILURE_SENTENCES[code]
    if code.isdigit() and code.startswith("5"):
        return SERVER_PROBLEM
    return FAILURE_FALLBACK


class InvalidTransition(Exception):
    pass


@dataclass(frozen=True)
class StoredOutput:
    """What the worker copied into our storage before `apply` marks a task successful."""

    video: str = ""  # storage names
    poster: str = ""
    last_frame: str = ""


# What a card shows: the stored request, the worker's bookkeeping and the callback's
# secret stay in the database.
CARD_FIELDS = (
    "project_id",
    "model",
    "prompt",
    "prompt_sent",
    "duration",
    "aspect_ratio",
    "upscale_4k",
    "resolution",
    "generate_audio",
    "high_bitrate",
    "seed_requested",
    "seed",
    "status",
    "credits_estimated",
    "estimate_worst_case",
    "credits_used",
    "settle_pending_since",
    "error_message",
    "error_code",
    "status_detail",
    "next_attempt_at",
    "attempts",
    "output_file",
    "poster_file",
    "last_frame_file",
    "output_width",
    "output_height",
    "created_at",
    "submitted_at",
    "completed_at",
    "archived_at",
    "project__name",
    "project__description",
    "project__default_model",
    "project__default_duration",
    "project__default_aspect_ratio",
    "project__default_upscale_4k",
    "project__default_resolution",
    "project__archived_at",  # the archived note at the top of the project page
    "project__updated_at",  # the Re-run key (_add_rerun_keys)
)
# References in Kinovi's order: `urls` (images, videos), then audio.
KIND_ORDER = (Kind.IMAGE, Kind.VIDEO, Kind.AUDIO)


@dataclass(frozen=True)
class CardPage:
    """One page of a project's generations, newest first (project_card_page()).

    Without Paginator's COUNT: it knows whether older ones follow (it fetches one
    more row), not how many pages there are.
    """

    number: int
    object_list: list
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


class GenerationQuerySet(models.QuerySet):
    def for_user(self, user, team):
        """Generations in the user's own projects in `team`: nobody else sees them."""
        return self.filter(project__owner=user, project__team=team)

    def active(self):
        return self.filter(archived_at__isnull=True)

    def using_character(self, character):
        return self.filter(references__character=character).distinct()

    def in_flight(self):
        """Tasks that hold one of Kinovi's concurrency slots (or are about to)."""
        return self.filter(status__in=Generation.IN_FLIGHT_STATES)

    def queue_positions(self) -> dict[int, int]:
        """{id: place in line} of these rows that are queued, 1 for the next to go; the
        dict's order is the order the worker sends them in (the cards show the same).

        Fair, not first come first served: round-robin by member within a team and by
        team across the site, counting the tasks each already has in flight. A
        member's k-th video (in flight ones first) takes a team's turn before anyone's
        (k+1)-th, and a team's k-th turn comes before any team's (k+1)-th; ties go to
        the earlier submission. So a member who queued 30 holds back a teammate's first
        take by one video at most, and a team another team's alike. All queued videos
        share one Kinovi key: one line for the site. One query of a few integers a row
        (the line and the tasks in flight are held short by Kinovi's limit).
        """
        queued_status = Generation.Status.QUEUED
        member_turns: Counter = Counter()
        team_turns: Counter = Counter()
        if not self.query.has_filters():  # the site's whole line (the project page)
            queued, in_flight_counts = _site_line()
        else:
            columns = ("pk", "status", "project__team_id", "project__owner_id")
            # Two index scans on status glued by UNION ALL (a row is in flight or
            # queued, never both): `status IN (...) OR pk IN (queued)` made PostgreSQL
            # walk the whole table by its primary key (0.4 s at 500,000 rows).
            in_flight = Generation.objects.filter(status__in=Generation.IN_FLIGHT_STATES)
            rows = (
                in_flight.order_by()
                .values_list(*columns)
                .union(self.filter(status=queued_status).order_by().values_list(*columns), all=True)
                .order_by("pk")  # any order, but the union must not take the model's
            )
            queued, in_flight_counts = [], Counter()
            for pk, status, team, member in rows:
                if status == queued_status:
                    queued.append((pk, team, member))
                else:
                    in_flight_counts[team, member] += 1
        for (team, member), count in in_flight_counts.items():  # turns taken already
            member_turns[team, member] += count
            team_turns[team] += count
        queued.sort()  # by pk: the order of submission
        lines: dict[int, list[tuple[int, int]]] = {}  # team: [(member's turn, pk)]
        for pk, team, member in queued:
            member_turns[team, member] += 1
            lines.setdefault(team, []).append((member_turns[team, member], pk))
        site_line = sorted(
            (team_turns[team] + turn, pk)
            for team, line in lines.items()
            for turn, (_, pk) in enumerate(sorted(line), 1)
        )
        return {pk: place for place, (_, pk) in enumerate(site_line, 1)}

    def cards(self):
        """Only the columns a card shows (and its project's name and composer defaults
        when selected with it); complete_cards adds the rest once fetched."""
        return self.only(*CARD_FIELDS)

    def project_card_page(self, project, number: str, per_page: int, *, archived=False):
        """Page `number` (1 for anything that isn't a page number) of `project`'s cards
        (its archived ones with `archived`), newest first, each with `project` attached.

        The project page's main query: its SQL is compiled by the ORM once per database
        and list (current or archived), then run with this project's id and the page's
        LIMIT and OFFSET, which spares each load a millisecond of building and compiling
        the same query again. Only the columns a card shows; the rest are deferred.
        """
        if self.query.has_filters():
            raise TypeError("project_card_page() lists a project's cards: filter nothing first.")
        page = _page_number(number)
        start = (page - 1) * per_page
        alias = self.db
        key = (alias, bool(archived))
        sql = _CARD_PAGE_SQL.get(key)
        if sql is None:
            columns = [name for name in CARD_FIELDS if not name.startswith("project__")]
            query = (
                Generation.objects.using(alias)
                .filter(project_id=_PK_MARK, archived_at__isnull=not archived)
                .only(*columns)
                .order_by(*Generation._meta.ordering)
                .query
            )
            compiled, params = query.get_compiler(alias).as_sql()
            if list(params) != [_PK_MARK]:
                raise AssertionError(f"The card query's parameters changed: {params}")
            sql = _CARD_PAGE_SQL[key] = f"{compiled} LIMIT %s OFFSET %s"
        rows = list(self.raw(sql, [project.pk, per_page + 1, start]).using(alias))
        for row in rows:
            Generation.project.field.set_cached_value(row, project)
        return CardPage(page, rows[:per_page], len(rows) > per_page)

    def complete_cards(self, generations: list["Generation"]) -> list["Generation"]:
        """The references (`card_references`), the dollars of a credit when each was
        submitted (`dollars_per_credit`) and the Re-run key (`rerun_key`) of cards.

        One query for the references, as plain rows rather than model instances (a page
        shows 20 cards of up to 15 each), its SQL written once per database and number
        of cards. The price versions come from those the process knows (most loads ask
        nothing); the Re-run key needs none (the cards come with their project).
        """
        _add_dollars_per_credit(generations)
        _add_rerun_keys(generations)
        by_generation: dict[int, list[dict]] = {generation.pk: [] for generation in generations}
        rows = _card_reference_rows(self.db, list(by_generation))
        for row in sorted(rows, key=lambda row: (KIND_ORDER.index(row["kind"]), row["position"])):
            by_generation[row["generation_id"]].append(row)
        for generation in generations:
            generation.card_references = by_generation[generation.pk]
        return generations

    def latest_posters(self, per_project: int = 3) -> dict[int, list[str]]:
        """The poster URLs of each project's newest finished videos (not archived), in
        one query: {project id: [url, ...]}, newest first."""
        newest_first = [models.F("created_at").desc(), models.F("id").desc()]
        rows = (
            self.filter(status=Generation.Status.SUCCESS, archived_at__isnull=True)
            .exclude(poster_file="")
            .annotate(rank=Window(RowNumber(), partition_by="project_id", order_by=newest_first))
            .filter(rank__lte=per_project)
            .order_by("project_id", "rank")
            .values_list("project_id", "poster_file")
        )
        posters: dict[int, list[str]] = {}
        field = Generation._meta.get_field("poster_file")
        for project_id, name in rows:
            posters.setdefault(project_id, []).append(field.storage.url(name))
        return posters

    def due(self, now=None):
        """Rows the worker should look at now: work pending and not leased."""
        now = now or timezone.now()
        return self.filter(
            Q(status__in=Generation.WORKER_STATES) | Generation.SETTLE_PENDING,
            next_attempt_at__lte=now,
        ).filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))

    def claim_due(
        self,
        worker_id: str,
        *,
        limit: int = 1,
        lease_seconds: int | None = None,
        dispatching: bool | int = True,
    ) -> list["Generation"]:
        """Lease up to `limit` due rows to `worker_id`; returns those won, in handling order.

        Queued rows come first, in queue_positions() order (fair between members and
        teams), at most `dispatching` of them (the slots free under the limit; True: no
        cap, False or 0: none, as claiming them only to put them back would crowd out
        the tasks in flight and shuffle the line). Then the other due rows, the longest
        due first.

        One conditional UPDATE repeats every condition of due(): of several workers
        racing for rows exactly one gets each (on PostgreSQL the loser's UPDATE re-reads
        a row after the winner commits and no longer matches it; SQLite serialises
        writers), and a row that stopped being due meanwhile (finished, put back with a
        backoff, leased by another worker) is left alone. Rows are read after the
        lease is won, so their status is the current one.
        """
        lease = _lease(lease_seconds)
        queued_cap = limit if dispatching is True else min(int(dispatching), limit)
        for _ in range(CLAIM_ROUNDS):
            now = timezone.now()
            due = self.due(now)
            pks = list(due.queue_positions())[:queued_cap] if queued_cap else []
            pks += list(
                due.exclude(status=Generation.S.QUEUED)
                .order_by("next_attempt_at", "id")
                .values_list("pk", flat=True)[: limit - len(pks)]
            )
            if not pks:
                return []
            until = now + lease
            if self.due(now).filter(pk__in=pks).update(claimed_by=worker_id, claimed_until=until):
                won = Generation.objects.filter(
                    pk__in=pks, claimed_by=worker_id, claimed_until=until
                ).in_bulk()
                return [won[pk] for pk in pks if pk in won]
        return []

    def claim_next(self, worker_id: str, lease_seconds: int | None = None):
        """Lease the oldest due row to `worker_id`, or return None."""
        claimed = self.claim_due(worker_id, lease_seconds=lease_seconds)
        return claimed[0] if claimed else None

    def claim(self, pk: int, worker_id: str, lease_seconds: int | None = None, now=None) -> bool:
        """Lease row `pk` to `worker_id` if it is still due; True when this call won it."""
        now = now or timezone.now()
        won = (
            Generation.objects.due(now)
            .filter(pk=pk)
            .update(claimed_by=worker_id, claimed_until=now + _lease(lease_seconds))
        )
        return bool(won)

    def for_callback_token(self, token: str) -> "Generation | None":
        """The generation whose callback URL carries `token`, or None."""
        pk, _, _ = token.partition(".")
        if not pk.isascii() or not pk.isdigit() or len(pk) > 18:
            return None
        generation = self.filter(pk=int(pk)).exclude(callback_token_hash="").first()
        if generation is None:
            return None
        if not hmac.compare_digest(_token_hash(token), generation.callback_token_hash):
            return None
        return generation


_SITE_LINE_SQL: dict[str, str] = {}  # database alias: SQL
_CARD_PAGE_SQL: dict[tuple[str, bool], str] = {}  # (database alias, archived): SQL


_CARD_REFERENCE_COLUMNS = ("generation_id", "kind", "position", "label", "handle")


@functools.lru_cache(maxsize=64)
def _card_reference_sql(alias: str, count: int) -> str:
    quote = connections[alias].ops.quote_name
    references = quote(GenerationReference._meta.db_table)
    assets = quote(ReferenceAsset._meta.db_table)
    columns = ", ".join(f"r.{quote(name)}" for name in _CARD_REFERENCE_COLUMNS)
    # Unordered: the caller sorts, which spares the database ordering by generation.
    return (
        f"SELECT {columns}, a.{quote('thumbnail_url')} FROM {references} r "
        f"LEFT OUTER JOIN {assets} a ON a.{quote('id')} = r.{quote('asset_id')} "
        f"WHERE r.{quote('generation_id')} IN ({', '.join(['%s'] * count)})"
    )


def _card_reference_rows(alias: str, generation_ids: list[int]) -> list[dict]:
    """What a card shows of each reference of these generations: dicts of
    _CARD_REFERENCE_COLUMNS and `asset__thumbnail_url`."""
    if not generation_ids:
        return []
    with connections[alias].cursor() as cursor:
        cursor.execute(_card_reference_sql(alias, len(generation_ids)), generation_ids)
        names = (*_CARD_REFERENCE_COLUMNS, "asset__thumbnail_url")
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _page_number(number: str) -> int:
    """A page number from the query string; 1 for anything that isn't one."""
    page = int(number) if number.isascii() and number.isdigit() and len(number) < 7 else 1
    return max(page, 1)


def _site_line() -> tuple[list[tuple[int, int, int]], Counter]:
    """The site's line, for queue_positions(): every queued video as (id, team, owner),
    and how many each (team, owner) has in flight, counted by the database rather than
    sent row by row. One query on the status index; its SQL is the same each time."""
    alias = Generation.objects.db
    sql = _SITE_LINE_SQL.get(alias)
    if sql is None:
        connection = connections[alias]
        quote = connection.ops.quote_name
        generation, project = quote(Generation._meta.db_table), quote(Project._meta.db_table)
        joined = f"{generation} g JOIN {project} p ON p.id = g.project_id"
        in_flight = ", ".join("%s" for _ in Generation.IN_FLIGHT_STATES)
        sql = _SITE_LINE_SQL[alias] = (
            f"SELECT g.id, p.team_id, p.owner_id, 0 FROM {joined} WHERE g.status = %s "
            f"UNION ALL SELECT NULL, p.team_id, p.owner_id, COUNT(*) FROM {joined} "
            f"WHERE g.status IN ({in_flight}) GROUP BY p.team_id, p.owner_id"
        )
    with connections[alias].cursor() as cursor:
        statuses = [Generation.Status.QUEUED, *Generation.IN_FLIGHT_STATES]
        cursor.execute(sql, [str(status) for status in statuses])
        rows = cursor.fetchall()
    queued = [(pk, team, owner) for pk, team, owner, _ in rows if pk is not None]
    counts = Counter({(team, owner): count for pk, team, owner, count in rows if pk is None})
    return queued, counts


def _add_rerun_keys(generations: list["Generation"]) -> None:
    """`rerun_key`: the idempotency key of each card's Re-run button.

    The same while nothing new is made in the project (a poll re-rendering the card
    keeps it, so a double click makes one video); a new one once a video was made.
    """
    # The project's "updated" moves with each video made in it (Generation.submit); the
    # cards come with their project (project_card_page, or select_related).
    for generation in generations:
        stamp = generation.project.updated_at.timestamp()
        generation.rerun_key = f"rerun-{generation.pk}-{stamp:.6f}"


def _add_dollars_per_credit(generations: list["Generation"]) -> None:
    """The dollars of a credit in the price version in effect when each was submitted."""
    if not generations:
        return
    # Each was submitted by now: the versions this process knows include its own.
    versions = [
        (version.effective_from, version.dollars_per_credit)
        for version in credits.known_price_versions(Generation.objects.db)
    ]
    starts = [effective_from for effective_from, _ in versions]
    for generation in generations:
        index = bisect_right(starts, generation.submitted_at or generation.created_at)
        generation.dollars_per_credit = versions[index - 1][1] if index else None


def _lease(seconds: int | None) -> timedelta:
    return timedelta(seconds=seconds or settings.WORKER_LEASE_SECONDS)


def _callback_token() -> str:
    """The default of the raw-token column migration 0001 made (0004 drops the column)."""
    return secrets.token_urlsafe(32)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# What Generation.urls holds: {its name: the URL pattern's name}.
GENERATION_URL_NAMES = {
    "detail": "generation_detail",
    "rerun": "generation_rerun",
    "continue": "generation_continue",
    "archive": "generation_archive",
    "unarchive": "generation_unarchive",
    "download": "generation_download",
}
_PK_MARK = 2147480009  # an id no URL holds otherwise; replaced by the real one


@functools.lru_cache(maxsize=256)
def _pk_url_halves(view: str, urlconf: str, prefix: str) -> tuple[str, str]:
    url = reverse(view, args=[_PK_MARK], urlconf=urlconf)
    head, _, tail = url.partition(str(_PK_MARK))
    return head, tail


def pk_url(view: str, pk: int) -> str:
    """reverse(view, args=[pk]) for a view taking one integer id, reversed once per
    (URLconf, script prefix): a page of cards asks for hundreds of these."""
    head, tail = _pk_url_halves(view, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    return f"{head}{int(pk)}{tail}"


class Generation(models.Model):
    """One video asked of Kinovi; also the worker's queue row."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        QUEUED = "queued", "Queued"
        SUBMITTING = "submitting", "Submitting"
        WAITING = "waiting", "Waiting"
        GENERATING = "generating", "Generating"
        SUCCESS = "success", "Done"
        FAIL = "fail", "Failed"
        UNKNOWN = "unknown", "Unknown"

    S = Status
    TRANSITIONS: dict[str, set[str]] = {
        S.DRAFT: {S.QUEUED},
        S.QUEUED: {S.SUBMITTING, S.FAIL},
        # Back to queued on 429/5xx; unknown when the create call got no answer.
        S.SUBMITTING: {S.WAITING, S.QUEUED, S.FAIL, S.UNKNOWN},
        # Rescued by its task id (from a webhook, or an admin's check), or given up.
        S.UNKNOWN: {S.WAITING, S.GENERATING, S.SUCCESS, S.FAIL},
        # Failed as never confirmed by Kinovi, until a webhook names its task after all.
        # Unknown after KINOVI_STUCK_MINUTES without an end.
        S.WAITING: {S.GENERATING, S.SUCCESS, S.FAIL, S.UNKNOWN},
        S.GENERATING: {S.SUCCESS, S.FAIL, S.UNKNOWN},
        S.SUCCESS: set(),
        S.FAIL: {S.UNKNOWN},
    }
    # States in which the worker has something to do (unknown: only once a task id is known).
    WORKER_STATES = (S.QUEUED, S.SUBMITTING, S.WAITING, S.GENERATING, S.UNKNOWN)
    IN_FLIGHT_STATES = (S.SUBMITTING, S.WAITING, S.GENERATING)
    # States in which Kinovi's account of the task (recordInfo) is followed.
    FOLLOWED_STATES = (S.WAITING, S.GENERATING, S.UNKNOWN)
    FINISHED_STATES = (S.SUCCESS, S.FAIL)
    # Done, with its final cost still followed (the worker's too: see observe_charge).
    SETTLE_PENDING = Q(status=S.SUCCESS, settle_pending_since__isnull=False)
    # States in which a webhook may supply the task id the create answer didn't bring.
    AWAITING_TASK_ID_STATES = (S.SUBMITTING, S.UNKNOWN)
    # error_code of an unknown generation without a task id that no webhook rescued in
    # KINOVI_UNKNOWN_RESOLVE_AFTER: failed and refunded by the worker.
    NEVER_CONFIRMED = "never_confirmed"
    # Kinovi's task status → ours.
    FROM_TASK_STATUS = {
        TaskStatus.WAITING: S.WAITING,
        TaskStatus.GENERATING: S.GENERATING,
        TaskStatus.SUCCESS: S.SUCCESS,
        TaskStatus.FAIL: S.FAIL,
    }

    project = models.ForeignKey(Project, models.CASCADE, related_name="generations")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="generations"
    )
    # Rendered into the composer form: a double click or a resubmitted form finds the
    # generation it already made instead of making another.
    idempotency_key = models.CharField(max_length=64, blank=True)
    model = models.CharField(max_length=40)
    prompt = models.TextField(help_text="As the user wrote it.")
    prompt_sent = models.TextField(blank=True, help_text="As sent: handles turned into @imageN.")
    duration = models.PositiveSmallIntegerField(default=5)
    aspect_ratio = models.CharField(max_length=5, default="16:9")
    upscale_4k = models.BooleanField(default=False)
    # outputResolution (kinovi.catalogue.RESOLUTIONS; "4k" is a native 4K render).
    resolution = models.CharField(max_length=8, default=DEFAULT_RESOLUTION)
    # Per-shot options Kinovi offers; each is sent only when it means something.
    generate_audio = models.BooleanField(default=True)
    high_bitrate = models.BooleanField(default=False)
    # The seed asked for (None: random); `seed` below is the one Kinovi used.
    seed_requested = models.BigIntegerField(null=True, blank=True)

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    status_detail = models.CharField(
        max_length=300, blank=True, help_text="Why it waits (retry) or is unknown."
    )
    task_id = models.CharField(max_length=100, blank=True, db_index=True)
    # The body createTask gets, without callBackUrl (added at dispatch: it holds a secret).
    request_payload = models.JSONField(null=True, blank=True)
    # The callback URL's token is HMAC(SECRET_KEY, pk + salt): the worker rebuilds it,
    # the database only keeps its hash.
    callback_salt = models.CharField(max_length=32, blank=True)
    callback_token_hash = models.CharField(max_length=64, blank=True)
    credits_estimated = credits.credits_field(
        default=credits.CREDITS_ZERO, help_text="Credits reserved."
    )
    # The estimate counts the charged reference seconds' cap: a reference video's length
    # was unknown at submit (pricing.Price.worst_case).
    estimate_worst_case = models.BooleanField(default=False)
    # Kinovi's creditsUsed: the latest figure reported (final once settled).
    credits_used = credits.credits_field(null=True, blank=True)
    # Success came, the settle waits for Kinovi's final creditsUsed (LATE_CHARGE_STABLE):
    # set at success, cleared as the settle is written. `credits_used_since` is when
    # the current `credits_used` was first reported.
    settle_pending_since = models.DateTimeField(null=True, blank=True)
    credits_used_since = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    error_message = models.TextField(blank=True, help_text="Why it failed, in plain words.")

    output_url = models.URLField(max_length=2000, blank=True, help_text="Kinovi's URL.")
    output_file = models.FileField(max_length=300, blank=True)
    poster_file = models.FileField(max_length=300, blank=True)
    last_frame_file = models.FileField(max_length=300, blank=True)
    output_width = models.PositiveIntegerField(null=True, blank=True)
    output_height = models.PositiveIntegerField(null=True, blank=True)
    seed = models.BigIntegerField(null=True, blank=True)

    # Worker bookkeeping: when to look again, who holds the lease, how often tried.
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    webhook_received_at = models.DateTimeField(null=True, blank=True)
    unknown_since = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True, help_text="Queued at.")
    accepted_at = models.DateTimeField(null=True, blank=True, help_text="Kinovi took it.")
    completed_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = GenerationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["project", "archived_at", "created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="generation_submitted_once_per_key",
            ),
            # A Kinovi task is one video's: its output and its cost belong to no other.
            models.UniqueConstraint(
                fields=["task_id"],
                condition=~Q(task_id=""),
                name="generation_task_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"Generation {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED_STATES

    @property
    def urls(self) -> dict[str, str]:
        """The addresses a card and the video's page link to, by name (`detail`,
        `rerun`, ...): one reverse() per name per process, not several per card."""
        return {name: pk_url(view, self.pk) for name, view in GENERATION_URL_NAMES.items()}

    @property
    def shown_seed(self) -> int | None:
        """The seed Kinovi used, else the one asked for (None: random, not yet known)."""
        return self.seed if self.seed is not None else self.seed_requested

    @property
    def place_in_line(self) -> int | None:
        """1 for the next to go; None unless queued (reads `queue_position` when set)."""
        if self.status != self.Status.QUEUED:
            return None
        if hasattr(self, "queue_position"):
            return self.queue_position
        return Generation.objects.queue_positions().get(self.pk)

    @property
    def retry_note(self) -> str:
        """While queued again after Kinovi refused (429) or failed (5xx, no answer):
        what the worker does next, e.g. "Kinovi is busy — trying again in 8 s"."""
        if self.status != self.Status.QUEUED or not self.status_detail:
            return ""
        wait = max(0, math.ceil((self.next_attempt_at - timezone.now()).total_seconds()))
        why = (
            "Kinovi is busy"
            if self.status_detail.startswith("Kinovi is busy")
            else ("Kinovi had a problem")
        )
        when = f"trying again in {wait} s" if wait else "trying again now"
        attempt = (
            f" (attempt {self.attempts + 1} of {settings.KINOVI_MAX_ATTEMPTS})"
            if self.attempts
            else ""
        )
        return f"{why} — {when}{attempt}"

    @property
    def failure_sentence(self) -> str:
        """Why it failed, in a sentence its author can read (see failure_sentence())."""
        return failure_sentence(self.error_code, self.error_message)

    @property
    def error_for_members(self) -> str:
        """Why it failed, for its author: an account problem of ours is not theirs to read."""
        if self.error_code in ACCOUNT_PROBLEM_CODES:
            return "Video generation is paused for your team; an admin has been told."
        return self.failure_sentence

    def neighbours(self) -> tuple[int | None, int | None]:
        """The ids of the project's next newer and next older video, on the same list
        (archived or not) in the project page's order; None at either end."""
        siblings = Generation.objects.filter(
            project_id=self.project_id, archived_at__isnull=self.archived_at is None
        )
        same_time = Q(created_at=self.created_at)
        newer = siblings.filter(Q(created_at__gt=self.created_at) | same_time & Q(pk__gt=self.pk))
        older = siblings.filter(Q(created_at__lt=self.created_at) | same_time & Q(pk__lt=self.pk))
        return (
            newer.order_by("created_at", "id").values_list("pk", flat=True).first(),
            older.order_by("-created_at", "-id").values_list("pk", flat=True).first(),
        )

    @property
    def has_video_reference(self) -> bool:
        return any(ref.kind == Kind.VIDEO for ref in self.references.all())

    @property
    def reference_video_seconds(self) -> Decimal | None:
        """The video references' total length, exact (summed as the decimals stored, so
        2.1 + 3.2 is 5.3, never 5.300000000000001); None when any length is unknown."""
        return credits.reference_video_seconds(
            ref.duration_seconds for ref in self.references.all() if ref.kind == Kind.VIDEO
        )

    @property
    def settle_pending(self) -> bool:
        """Done, and its final cost not yet known: Kinovi updates creditsUsed after success
        (the card may say "final cost pending")."""
        return self.settle_pending_since is not None

    def _settles_late(self) -> bool:
        spec = CATALOGUE.get(self.model)
        return bool(spec and spec.settles_after_success and self.has_video_reference)

    # The callback URL --------------------------------------------------------------------

    def callback_token(self) -> str:
        mac = hmac.new(
            settings.SECRET_KEY.encode(), f"{self.pk}:{self.callback_salt}".encode(), "sha256"
        )
        return f"{self.pk}.{mac.hexdigest()}"

    def callback_url(self) -> str:
        """Where Kinovi announces the end of this task. A secret: never log it."""
        return settings.SITE_URL + reverse("kinovi_webhook", args=[self.callback_token()])

    def request_body(self) -> dict:
        """The createTask body: the stored request plus this generation's callback URL."""
        return {**self.request_payload, "callBackUrl": self.callback_url()}

    # The life cycle ----------------------------------------------------------------------

    def _move(self, to: str, *, only_from: tuple[str, ...] = (), **fields) -> bool:
        """Move to state `to`, saving `fields` with it; the one writer of `status`.

        Checked against TRANSITIONS (and `only_from`, the states the calling step
        starts from), and conditional on the row still being in the state this
        instance holds: when two writers race, one wins and the other gets False and
        changes nothing (so writes no ledger row).
        """
        if to not in self.TRANSITIONS[self.status] or (only_from and self.status not in only_from):
            raise InvalidTransition(f"{self.status} → {to} is not allowed here")
        now = timezone.now()
        if to in self.FINISHED_STATES:
            fields.setdefault("completed_at", now)
        fields["updated_at"] = now
        changed = Generation.objects.filter(pk=self.pk, status=self.status).update(
            status=to, **fields
        )
        if changed:
            self.status = to
            for name, value in fields.items():
                setattr(self, name, value)
        return bool(changed)

    def submit(self) -> None:
        """draft → queued: reserve the credits, priced at its resolution with its video
        references' length; stores the estimate and whether it is the worst case.

        Raises credits.PriceRefused (no price for its model and resolution, or anything
        else pricing refuses) or credits.BudgetExceeded, both credits.SubmissionRefused:
        nothing reserved, the generation left a draft. No network call: the worker
        sends it. The callback token is made here, once the row has its primary key.
        """
        salt = secrets.token_hex(16)
        now = timezone.now()
        with transaction.atomic():
            # Locked until the move: a second submit of the same row waits, then sees it
            # queued and reserves nothing.
            if not Generation.objects.select_for_update().filter(pk=self.pk, status=self.S.DRAFT):
                raise InvalidTransition(f"{self} was submitted already")
            # Rolled back with the rest if the move fails.
            has_video = self.has_video_reference
            reservation = credits.reserve(
                self,
                has_video_reference=has_video,
                reference_video_seconds=self.reference_video_seconds if has_video else None,
            )
            token = Generation(pk=self.pk, callback_salt=salt).callback_token()
            moved = self._move(
                self.Status.QUEUED,
                only_from=(self.S.DRAFT,),
                credits_estimated=reservation.credits,
                estimate_worst_case=reservation.price.worst_case,
                submitted_at=now,
                next_attempt_at=now,
                callback_salt=salt,
                callback_token_hash=_token_hash(token),
            )
            if not moved:
                raise InvalidTransition(f"{self} was submitted already")
            # The project's "updated" follows its newest video.
            Project.objects.filter(pk=self.project_id).update(updated_at=now)

    def start_dispatch(self) -> bool:
        """queued → submitting when a slot is free under the local limit; False otherwise.

        The worker is about to send createTask. The gate row stays locked while the
        tasks in flight are counted, so two workers never both take the last slot.
        """
        with transaction.atomic():
            gate = DispatchGate.objects.locked()
            if not gate.has_room(Generation.objects.in_flight().count()):
                return False
            return self._move(self.Status.SUBMITTING, only_from=(self.S.QUEUED,), status_detail="")

    def accept(self, task_id: str) -> bool:
        """submitting/unknown → waiting: Kinovi created task `task_id`.

        Kinovi's answer to our createTask is the authority on whose task it is: a
        video that only a webhook said was `task_id`, and that Kinovi never confirmed,
        gives it up.
        """
        now = timezone.now()
        with transaction.atomic():
            Generation.objects.filter(task_id=task_id, accepted_at__isnull=True).exclude(
                pk=self.pk
            ).update(task_id="")
            moved = self._move(
                self.Status.WAITING,
                only_from=(self.S.SUBMITTING, self.S.UNKNOWN),
                task_id=task_id,
                accepted_at=self.accepted_at or now,
                next_attempt_at=now + timedelta(seconds=settings.KINOVI_POLL_SECONDS),
                status_detail="",
            )
            if moved:
                # Kinovi took a task: it had room, and the account works.
                DispatchGate.objects.clear_refusal()
                KinoviAlert.objects.open().update(resolved_at=now)
        return moved

    def retry_later(self, seconds: float, reason: str, *, failed: bool = True) -> bool:
        """submitting → queued: Kinovi didn't take it this time (429, 5xx, unreachable).

        `failed` attempts (errors, not a full queue at Kinovi) count towards
        KINOVI_MAX_ATTEMPTS.
        """
        return self._move(
            self.Status.QUEUED,
            only_from=(self.S.SUBMITTING,),
            next_attempt_at=timezone.now() + timedelta(seconds=seconds),
            status_detail=reason[:300],
            attempts=self.attempts + 1 if failed else self.attempts,
        )

    def apply(self, info: TaskInfo, stored: StoredOutput | None = None) -> bool:
        """Follow Kinovi's account of the task (recordInfo); True when the state changed.

        Success settles the reservation to `creditsUsed`; fail refunds it whole. A
        report older than what we know (waiting after generating, anything after the
        end) changes nothing: webhooks and polls arrive in any order.
        """
        if info.task_id != self.task_id and self.task_id:
            raise ValueError(f"{self} is task {self.task_id}, not {info.task_id}")
        if self.status not in (*self.FOLLOWED_STATES, *self.FINISHED_STATES):
            raise InvalidTransition(f"{self} has no Kinovi task to follow yet")
        if self.is_finished:
            return False
        if contradiction := self.contradiction(info):
            return self._refuse_task(info, contradiction)
        to = self.FROM_TASK_STATUS[info.status]
        if to == self.status or to not in self.TRANSITIONS[self.status]:
            return False
        if to == self.S.SUCCESS:
            return self._succeed(info, stored or StoredOutput())
        if to == self.S.FAIL:
            reason = explain_failure(info.error_code, info.error_message)
            return self._fail(info.error_code or "task_failed", reason)
        fields = {"task_id": info.task_id, "status_detail": ""}
        if self.status == self.S.UNKNOWN:
            fields["accepted_at"] = self.accepted_at or timezone.now()
        return self._move(to, **fields)

    def contradiction(self, info: TaskInfo) -> str:
        """How Kinovi's record of the task contradicts what we sent ("" when it doesn't)."""
        sent = self.request_payload or {}
        differences = []
        if info.model and sent.get("model") and info.model != sent["model"]:
            differences.append(f"model {info.model}, not {sent['model']}")
        if info.duration is not None and info.duration != self.duration:
            differences.append(f"length {info.duration} s, not {self.duration} s")
        return ", ".join(differences)

    def _refuse_task(self, info: TaskInfo, contradiction: str) -> bool:
        """Kinovi's task isn't the one we asked for: follow nothing, and tell staff.

        A task id only a webhook gave us (never confirmed by Kinovi's answer) is
        dropped, so the video's real task can still be adopted; one Kinovi's answer
        gave us stays, for staff to check. Either way the reservation is untouched.
        """
        log.warning("%s: task %s contradicts the request (%s)", self, info.task_id, contradiction)
        detail = (
            f"Kinovi's record of task {info.task_id} contradicts what was sent "
            f"({contradiction}): not followed. Staff: check it before settling."
        )
        fields = {"status_detail": detail[:300]}
        if self.accepted_at is None:
            fields["task_id"] = ""
        if self.status == self.S.UNKNOWN:
            Generation.objects.filter(pk=self.pk, status=self.status).update(**fields)
            for name, value in fields.items():
                setattr(self, name, value)
            return False
        return self._move(
            self.S.UNKNOWN, next_attempt_at=timezone.now() + UNKNOWN_RECHECK, **fields
        )

    def _succeed(self, info: TaskInfo, stored: StoredOutput) -> bool:
        """→ success, and the charge: settled to creditsUsed at once, or, for a model
        whose creditsUsed Kinovi updates after success, left pending (see observe_charge)."""
        output = info.outputs[0] if info.outputs else None
        credits_used = info.credits_used
        late = self._settles_late()
        now = timezone.now()
        if credits_used is None and not late:
            log.warning("%s succeeded without creditsUsed; settling to the reservation", self)
            credits_used = self.credits_estimated
        with transaction.atomic():
            moved = self._move(
                self.S.SUCCESS,
                task_id=info.task_id,
                status_detail="",
                credits_used=credits_used,
                credits_used_since=now if credits_used is not None else None,
                settle_pending_since=now if late else None,
                # A pending settle is the worker's to follow, at the pace of a poll.
                next_attempt_at=now + timedelta(seconds=settings.KINOVI_POLL_SECONDS)
                if late
                else self.next_attempt_at,
                output_url=output.url if output else "",
                output_width=output.width if output else None,
                output_height=output.height if output else None,
                seed=info.seed,
                output_file=stored.video,
                poster_file=stored.poster,
                last_frame_file=stored.last_frame,
            )
            if moved and not late:
                self._charge(credits_used, info.task_id)
        return moved

    def _charge(self, credits_used, task_id: str) -> None:
        """Close the ledger of a successful generation at Kinovi's figure."""
        if self._refunded_already():
            # Its reservation went back when it failed as never confirmed; the
            # ledger closes a generation once, so Kinovi's charge is a new row.
            reservation = self.ledger_entries.get(kind=credits.LedgerEntry.Kind.RESERVE)
            credits.adjust(
                team=reservation.team,
                user=reservation.user,
                credits=credits_used,
                reason=f"Kinovi confirmed task {task_id} after it had been refunded "
                "as never confirmed: charged what Kinovi used.",
                actor=None,
                generation=self,
            )
        else:
            credits.settle(self, credits_used)

    def provisional_charge(self) -> Decimal | None:
        """What Kinovi reserves, and first reports as creditsUsed, for a model that settles
        after success: length x its reference-video rate, at this generation's price
        version (None without a reservation or a price)."""
        reservation = (
            self.ledger_entries.filter(kind=credits.LedgerEntry.Kind.RESERVE)
            .select_related("price_version")
            .first()
        )
        if reservation is None or self.model not in reservation.price_version.rates.models:
            return None
        rate = reservation.price_version.rates.for_model(self.model)
        per_second = rate.rate(self.resolution, has_video_reference=True)
        return None if per_second is None else per_second * self.duration

    def observe_charge(self, credits_used, *, now=None) -> bool:
        """While the settle is pending: take Kinovi's latest creditsUsed (None: none had
        this time) and settle once it is final; True when this call settled it.

        Final: the same figure reported again LATE_CHARGE_STABLE after it first was, and
        not the provisional one (length x rate, what Kinovi shows before its update).
        Past LATE_CHARGE_MAX_WAIT from success, the last figure reported settles (the
        reservation, if Kinovi never reported one). The settle is written once: the
        pending mark is cleared by a conditional update in the same transaction.
        """
        if not self.settle_pending:
            return False
        now = now or timezone.now()
        figure, since = self.credits_used, self.credits_used_since
        reported = None if credits_used is None else pricing.to_credits(credits_used)
        if reported is not None and (reported != figure or since is None):
            figure, since = reported, now
        stable = (
            reported is not None
            and reported == figure
            and now - since >= LATE_CHARGE_STABLE
            and reported != self.provisional_charge()
        )
        waited_out = now - self.settle_pending_since >= LATE_CHARGE_MAX_WAIT
        pending = Generation.objects.filter(pk=self.pk, settle_pending_since__isnull=False)
        if not (stable or waited_out):
            if (figure, since) != (self.credits_used, self.credits_used_since):
                pending.update(credits_used=figure, credits_used_since=since)
                self.credits_used, self.credits_used_since = figure, since
            return False
        if figure is None:
            log.warning("%s: Kinovi reported no creditsUsed; settling to the reservation", self)
            figure = self.credits_estimated
        with transaction.atomic():
            if not pending.update(
                settle_pending_since=None, credits_used=figure, credits_used_since=since
            ):
                return False  # another worker settled it
            self.settle_pending_since, self.credits_used = None, figure
            self.credits_used_since = since
            self._charge(figure, self.task_id)
        return True

    def _fail(self, code: str, reason: str) -> bool:
        with transaction.atomic():
            moved = self._move(
                self.S.FAIL, error_code=code[:60], error_message=reason, status_detail=""
            )
            if moved and not self._refunded_already():
                credits.refund(self)
        return moved

    def _refunded_already(self) -> bool:
        """Refunded as never confirmed, before a webhook named its task after all."""
        return self.ledger_entries.filter(kind=credits.LedgerEntry.Kind.REFUND).exists()

    def give_up(self, reason: str, *, code: str = "gave_up") -> bool:
        """→ fail, refunding the whole reservation; `reason` is shown to the user."""
        return self._fail(code, reason)

    @property
    def resolve_at(self):
        """When an unknown generation without a task id fails as never confirmed."""
        if self.unknown_since is None:
            return None
        return self.unknown_since + timedelta(minutes=settings.KINOVI_UNKNOWN_RESOLVE_AFTER)

    def resolve_never_confirmed(self) -> bool:
        """unknown, without a task id, past its window → fail, refunded, flagged.

        Kinovi never answered the create call and no webhook named a task within a
        window longer than its longest generation: most likely nothing was made. If a
        webhook names its task later, `record_webhook` adopts it again. The row stays
        locked meanwhile, so a webhook naming the task now waits, then finds it failed.
        """
        minutes = settings.KINOVI_UNKNOWN_RESOLVE_AFTER
        with transaction.atomic():
            still = Generation.objects.select_for_update().filter(
                pk=self.pk, status=self.S.UNKNOWN, task_id="", accepted_at__isnull=True
            )
            if not still.exists():
                return False
            return self._fail(
                self.NEVER_CONFIRMED,
                f"Never confirmed by Kinovi: it didn't answer the request and no task was "
                f"announced in {minutes} minutes. The credits were refunded.",
            )

    def mark_unknown(self, reason: str) -> bool:
        """→ unknown: Kinovi may or may not be making it; never re-created blindly.

        The reservation stays until an admin or the task's own end decides. A task
        Kinovi accepted is checked again later (it may still end); one whose create
        answer never came waits for a webhook naming it, or for an admin.
        """
        now = timezone.now()
        if self.is_finished:
            raise InvalidTransition(f"{self} has ended; it can't become unknown")
        later = (
            UNKNOWN_RECHECK
            if self.task_id
            else timedelta(minutes=settings.KINOVI_UNKNOWN_RESOLVE_AFTER)
        )
        moved = self._move(
            self.S.UNKNOWN,
            status_detail=reason[:300],
            next_attempt_at=now + later,
            unknown_since=now,
        )
        if moved and self.accepted_at is None:
            # A webhook may have named the task while the create call hung: ask at once.
            Generation.objects.filter(pk=self.pk).exclude(task_id="").update(next_attempt_at=now)
        return moved

    def record_webhook(self, task_id: str) -> bool:
        """Wake the worker, and note that Kinovi called back about `task_id`.

        Never changes the status (webhooks aren't signed: the worker confirms with
        recordInfo), but the task id rescues a generation whose create answer was
        lost: only one waiting for its task id (being sent, or unknown after a lost
        answer) takes it, and only a task id no other generation holds. False when
        the webhook names no task, or another task than ours.
        """
        now = timezone.now()
        mine = Generation.objects.filter(pk=self.pk)
        self.wake()
        if task_id and not self.task_id and self.error_code == self.NEVER_CONFIRMED:
            self._readopt(task_id)
        elif task_id and not self.task_id:
            self._adopt_task_id(task_id)
        if not task_id:
            return False
        if task_id != self.task_id:
            log.warning("%s got a webhook naming another task", self)
            return False
        mine.update(webhook_received_at=now)
        self.webhook_received_at = now
        return True

    def _adopt_task_id(self, task_id: str) -> None:
        """Take `task_id` from a webhook if this generation waits for one and it's free."""
        waiting_for_one = Generation.objects.filter(
            pk=self.pk,
            task_id="",  # the worker may be storing the same one
            status__in=self.AWAITING_TASK_ID_STATES,
            accepted_at__isnull=True,
        )
        taken = Generation.objects.filter(task_id=task_id).exclude(pk=self.pk)
        try:
            with transaction.atomic():
                if not taken.exists():
                    waiting_for_one.update(task_id=task_id)
        except IntegrityError:  # another generation took it a moment ago
            pass
        self.refresh_from_db(fields=["task_id"])

    def _readopt(self, task_id: str) -> None:
        """fail (never confirmed) → unknown with `task_id`: Kinovi made it after all.

        The worker confirms it with recordInfo and settles it like any other; its
        refund stays, so what Kinovi charged is added to the ledger then.
        """
        if Generation.objects.filter(task_id=task_id).exclude(pk=self.pk).exists():
            return
        try:
            with transaction.atomic():
                self._move(
                    self.S.UNKNOWN,
                    only_from=(self.S.FAIL,),
                    task_id=task_id,
                    error_code="",
                    error_message="",
                    status_detail="A webhook named its task after it was refunded as never "
                    "confirmed: checking with Kinovi.",
                    unknown_since=timezone.now(),
                    next_attempt_at=timezone.now(),
                )
        except IntegrityError:  # another generation took it a moment ago
            self.refresh_from_db()

    def wake(self) -> None:
        """Have the worker look at it now rather than at its next poll."""
        Generation.objects.filter(pk=self.pk, status__in=self.WORKER_STATES).update(
            next_attempt_at=timezone.now()
        )

    def archive(self) -> None:
        """Hide it from the project page; its status, files and ledger rows stay."""
        if self.archived_at is None:
            self.archived_at = timezone.now()
            Generation.objects.filter(pk=self.pk).update(archived_at=self.archived_at)

    def unarchive(self) -> None:
        self.archived_at = None
        Generation.objects.filter(pk=self.pk).update(archived_at=None)

    def extend_lease(self, seconds: float) -> bool:
        """Keep the worker lease `seconds` longer, if this instance's worker still holds it."""
        until = timezone.now() + timedelta(seconds=seconds)
        held = Generation.objects.filter(pk=self.pk, claimed_by=self.claimed_by).update(
            claimed_until=until
        )
        if held:
            self.claimed_until = until
        return bool(held)

    def release(self, *, retry_in: float | None = None) -> bool:
        """Give the worker lease back; look again in `retry_in` seconds.

        Only while this instance's worker still holds the lease: a worker that
        outlived its lease must not free a row another worker has taken since.
        Returns False when the lease had been lost.
        """
        fields = {"claimed_by": "", "claimed_until": None}
        if retry_in is not None:
            fields["next_attempt_at"] = timezone.now() + timedelta(seconds=retry_in)
        released = Generation.objects.filter(pk=self.pk, claimed_by=self.claimed_by).update(
            **fields
        )
        if released:
            for name, value in fields.items():
                setattr(self, name, value)
        return bool(released)


class GenerationReference(models.Model):
    """A reference a generation was sent with, as it was then, in Kinovi's order (@image1...).

    The URL, format and length are copied at submit time, so the history survives the
    asset being edited or deleted.
    """

    generation = models.ForeignKey(Generation, models.CASCADE, related_name="references")
    asset = models.ForeignKey(
        ReferenceAsset,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="generation_references",
    )
    kind = models.CharField(max_length=5, choices=Kind.choices)
    position = models.PositiveSmallIntegerField(help_text="1-based, within its kind.")
    url = models.URLField(max_length=2000, blank=True, help_text="The asset's URL when sent.")
    handle = models.CharField(max_length=40, blank=True, help_text="The character's handle.")
    format = models.CharField(max_length=50, blank=True, help_text="MIME type.")
    duration_seconds = models.FloatField(null=True, blank=True)
    label = models.CharField(max_length=200, blank=True, help_text="How the user knows it.")
    character = models.ForeignKey(
        Character,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="generation_references",
    )

    class Meta:
        ordering = ["generation", "kind", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["generation", "kind", "position"], name="generation_reference_position"
            ),
        ]

    def __str__(self) -> str:
        return self.token

    @property
    def token(self) -> str:
        return f"@{self.kind}{self.position}"

    def as_reference_media(self) -> ReferenceMedia:
        return ReferenceMedia(
            kind=Kind(self.kind),
            url=self.url,
            format=self.format,
            duration_seconds=self.duration_seconds,
            label=self.label,
            handle=self.handle,
        )


class DispatchGateManager(models.Manager):
    GATE_PK = 1

    def locked(self) -> "DispatchGate":
        """The gate row, locked until the end of the caller's transaction."""
        self.get_or_create(pk=self.GATE_PK)
        return self.select_for_update().get(pk=self.GATE_PK)

    def has_room_now(self) -> bool:
        """Whether a dispatch could go now; unlocked (start_dispatch asks again, locked)."""
        return self.free_slots_now() > 0

    def free_slots_now(self) -> int:
        """How many dispatches could go now; unlocked (start_dispatch asks again, locked)."""
        gate = self.filter(pk=self.GATE_PK).first() or self.model(pk=self.GATE_PK)
        return gate.free_slots(Generation.objects.in_flight().count())

    def record_refusal(self, limit: int | None) -> None:
        """Kinovi answered 429: hold new dispatches until one of ours ends (or a while)."""
        with transaction.atomic():
            gate = self.locked()
            gate.reported_limit = limit or gate.reported_limit
            gate.in_flight_at_refusal = Generation.objects.in_flight().count()
            gate.refused_at = timezone.now()
            gate.refusals_in_a_row += 1
            gate.save()

    def clear_refusal(self) -> None:
        self.filter(pk=self.GATE_PK, refused_at__isnull=False).update(
            refused_at=None, in_flight_at_refusal=None, refusals_in_a_row=0
        )


class DispatchGate(models.Model):
    """One row: dispatches lock it, so the in-flight count each one checks stays true.

    Also remembers Kinovi's last concurrency refusal (429): its `limit`, and how many
    tasks we had in flight then, so the worker waits for one of them to end instead of
    asking again at once.
    """

    reported_limit = models.PositiveIntegerField(null=True, blank=True)
    in_flight_at_refusal = models.PositiveIntegerField(null=True, blank=True)
    refused_at = models.DateTimeField(null=True, blank=True)
    # 429s since Kinovi last accepted a task: each one doubles the pause after it.
    refusals_in_a_row = models.PositiveIntegerField(default=0)

    objects = DispatchGateManager()

    def __str__(self) -> str:
        return "Kinovi dispatch gate"

    @property
    def limit(self) -> int:
        """Tasks we keep in flight at most: our setting, or less if Kinovi said so."""
        local = settings.KINOVI_MAX_CONCURRENT_TASKS
        return min(local, self.reported_limit) if self.reported_limit else local

    def has_room(self, in_flight: int) -> bool:
        return self.free_slots(in_flight) > 0

    def free_slots(self, in_flight: int) -> int:
        """Dispatches that may go with `in_flight` tasks at Kinovi: 0 while the gate is shut."""
        free = max(self.limit - in_flight, 0)
        if self.refused_at is None or not free:
            return free
        # After a 429, wait for one of our tasks to end; others may share the key (or
        # none of ours was in flight), so after the pause try again anyway (another
        # 429 closes the gate again, for twice as long).
        slot_freed = in_flight < (self.in_flight_at_refusal or 0)
        if slot_freed or timezone.now() - self.refused_at >= self.pause:
            return free
        return 0

    @property
    def pause(self) -> timedelta:
        """How long dispatching waits after the last 429: KINOVI_REFUSAL_PAUSE_SECONDS,
        doubling with each 429 in a row, at most KINOVI_REFUSAL_PAUSE_MAX_SECONDS."""
        doublings = max(self.refusals_in_a_row - 1, 0)
        seconds = settings.KINOVI_REFUSAL_PAUSE_SECONDS * 2 ** min(doublings, 32)
        return timedelta(seconds=min(seconds, settings.KINOVI_REFUSAL_PAUSE_MAX_SECONDS))


class KinoviAlertQuerySet(models.QuerySet):
    def open(self):
        return self.filter(resolved_at__isnull=True)

    def raise_for(self, status_code: int, message: str) -> None:
        """Open the alert for `status_code`, or refresh the one open already."""
        now = timezone.now()
        if self.open().filter(status_code=status_code).update(message=message, last_seen_at=now):
            return
        try:
            with transaction.atomic():
                self.create(status_code=status_code, message=message, last_seen_at=now)
        except IntegrityError:  # another worker opened it a moment ago
            self.open().filter(status_code=status_code).update(message=message, last_seen_at=now)


class KinoviAlert(models.Model):
    """A Kinovi account problem (401, 402, 403) shown to every admin until resolved."""

    status_code = models.PositiveSmallIntegerField()
    message = models.TextField()
    raised_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = KinoviAlertQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["status_code"],
                condition=Q(resolved_at__isnull=True),
                name="one_open_kinovi_alert_per_status",
            ),
        ]

    def __str__(self) -> str:
        return f"Kinovi HTTP {self.status_code}: {self.message}"

    def resolve(self, by) -> None:
        self.resolved_at = timezone.now()
        self.resolved_by = by
        self.save(update_fields=["resolved_at", "resolved_by"])
