"""Credits benchmark on PostgreSQL: 1,000,000 ledger rows, the report, my spend, CSV, reserving.

Seeds (once; later runs reuse it) a team of 20 members with 50 projects and 12 months of
spend ending now: 495,000 generations, each reserved and (but the last 1,000, still in
flight) settled or refunded, plus 11,000 adjustments = 1,000,000 ledger rows. Rows are
made by INSERT ... SELECT over generate_series inside PostgreSQL, from one template
generation made by the ORM, so the seed follows the models as they change. Credits are
decimals as Kinovi charges them: Seedance 2.5 at 1080p with a reference video (85.68
credits/s on reference seconds + length, settled above and below its reservation), 2.0
Mini at 480p (7.5/s), and the seed's 40 and 28 credits/s with the 4K upscale.

The report is measured over the same rows as they were before the decimal migration
(0007: `credits` and `credits_used` integer columns, the rows rounded), in a copy of the
bench database made for the run and dropped after it, and as the exact decimals of
today (numeric(14,3)), the two in turn, case by case, so that the machine's load weighs
on both alike; both figures are printed, the targets apply to the decimal one.
`--skip-before` measures the decimal ledger alone.

Then, through the whole Django stack (test client, logged in as the team admin), it prints
the median and p95 time and the query count of (cases run round-robin, so that a burst
of load from other work on this shared machine slows each case alike):
  - the spend report for last month, grouped by member, project and model
    (targets: median <= 200 ms, queries constant and <= 10),
  - my spend (a member's page, this month),
  - the CSV export of last month's ledger rows: time to the first byte (<= 200 ms), the
    whole export, and the peak RSS growth while streaming it (constant memory),
and reservations per second with 8 concurrent submitters on separate connections.
Prints one PASS/FAIL line per target.

Run from the repository root:  .venv/bin/python bench/credits.py [--runs 21]
DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/kinovi_bench.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kinovi_bench"
os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="bench-credits-"))
os.environ["DJANGO_SETTINGS_MODULE"] = "kinovi_web.settings"
# The test client's host.
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

REPORT_TARGET_MS = 200
FIRST_BYTE_TARGET_MS = 200
QUERY_TARGET = 10
MEMBERS = 20
PROJECTS = 50
GENERATIONS = 495_000
IN_FLIGHT = 1_000
ADJUSTMENTS = 11_000
LEDGER_ROWS = 2 * GENERATIONS - IN_FLIGHT + ADJUSTMENTS
SUBMITTERS = 8
RESERVATIONS_EACH = 25
TEAM_SLUG = "bench-credits-decimal"
# The slug of the seed of integer credits (before decimals): such a bench database is
# flushed and seeded again.
OLD_TEAM_SLUG = "bench-credits"
SEEDANCE_25 = "seedance2-5"
MINI = "seedance2.0-mini"

if not os.environ["DATABASE_URL"].startswith("postgres"):
    # The figures are PostgreSQL's; an SQLite DATABASE_URL (set for other benches)
    # gives way to the default bench database.
    print(f"DATABASE_URL is not PostgreSQL; using {DEFAULT_URL}")
    os.environ["DATABASE_URL"] = DEFAULT_URL
subprocess.run([str(ROOT / "bin/ensure-postgres"), os.environ["DATABASE_URL"]], check=True)

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from projects.kinovi.pricing import FAST_MODEL, STANDARD_MODEL  # noqa: E402
from projects.models import (  # noqa: E402
    Generation,
    LedgerEntry,
    Membership,
    PriceVersion,
    Project,
    Team,
)
from projects.models.credits import BudgetExceeded, reserve, set_budget  # noqa: E402


@transaction.atomic
def seed() -> Team:
    """The seeded team, made in one transaction: a failed seed leaves nothing behind."""
    if Team.objects.filter(slug=OLD_TEAM_SLUG).exists():
        print("the bench database holds the seed of integer credits: flushing it")
        call_command("flush", interactive=False, verbosity=0)
    team = Team.objects.filter(slug=TEAM_SLUG).first()
    if team is not None and LedgerEntry.objects.for_team(team).count() >= LEDGER_ROWS:
        print(f"reusing the seeded team ({LEDGER_ROWS:,} ledger rows)")
        return team
    if team is not None:
        sys.exit(f"team {TEAM_SLUG!r} exists half-seeded: drop the bench database and rerun")
    started = time.perf_counter()
    User = get_user_model()
    team = Team.objects.create(name="Bench Films", slug=TEAM_SLUG, default_member_budget=None)
    users = [
        User.objects.create_user(f"bench-{n:02d}", f"bench-{n:02d}@example.com")
        for n in range(MEMBERS)
    ]
    for n, user in enumerate(users):
        team.add_member(user, Membership.Role.ADMIN if n == 0 else Membership.Role.MEMBER)
    projects = [
        Project.objects.create(team=team, name=f"Project {n:02d}", owner=users[n % MEMBERS])
        for n in range(PROJECTS)
    ]
    template = Generation.objects.create(
        project=projects[0], created_by=users[0], model=STANDARD_MODEL, prompt="bench shot"
    )
    version = PriceVersion.objects.in_effect()
    project_ids = ",".join(str(p.pk) for p in projects)
    owner_ids = ",".join(str(p.owner_id) for p in projects)
    columns = [f.column for f in Generation._meta.concrete_fields if not f.primary_key]
    overrides = {
        "project_id": f"(ARRAY[{project_ids}])[g % {PROJECTS} + 1]",
        "created_by_id": f"(ARRAY[{owner_ids}])[g % {PROJECTS} + 1]",
        # A sixth each of 2.5 (1080p, with a reference video) and Mini (480p), a third
        # each of the seed's standard and fast models.
        "model": f"(ARRAY['{FAST_MODEL}', '{SEEDANCE_25}', '{MINI}', '{FAST_MODEL}', "
        f"'{STANDARD_MODEL}', '{STANDARD_MODEL}'])[g % 6 + 1]",
        "resolution": "(ARRAY['720p', '1080p', '480p', '720p', '720p', '720p'])[g % 6 + 1]",
        "duration": "(ARRAY[4, 5, 8, 10, 15])[g % 5 + 1]",
        "upscale_4k": "g % 7 = 0 AND g % 6 NOT IN (1, 2)",
        "status": f"CASE WHEN g > {GENERATIONS - IN_FLIGHT} THEN 'generating' "
        "WHEN g % 10 = 0 THEN 'fail' ELSE 'success' END",
        "created_at": f"now() - interval '365 days' * (1 - g::float / {GENERATIONS})",
    }
    select = ", ".join(overrides.get(column, f't."{column}"') for column in columns)
    names = ", ".join(f'"{column}"' for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO projects_generation ({names}) SELECT {select} "
            f"FROM projects_generation t, generate_series(1, {GENERATIONS}) g "
            f"WHERE t.id = {template.pk}"
        )
        cursor.execute(f"DELETE FROM projects_generation WHERE id = {template.pk}")
        # The bench's own integers and constants are inlined: without parameters,
        # PostgreSQL's % (modulo) needs no escaping.
        team_id, version_id = team.pk, version.pk
        # 2.5 with a 10 s reference video: (10 + length) x 85.68; Mini 7.5/s; the seed's
        # 40 and 28/s, +28/s for the 4K upscale.
        estimate = (
            f"(CASE g.model WHEN '{SEEDANCE_25}' THEN 85.68 * (g.duration + 10) "
            f"WHEN '{MINI}' THEN 7.5 * g.duration "
            f"WHEN '{FAST_MODEL}' THEN 28 * g.duration ELSE 40 * g.duration END "
            "+ CASE WHEN g.upscale_4k THEN 28 * g.duration ELSE 0 END)"
        )
        insert = (
            "INSERT INTO projects_ledgerentry (kind, team_id, user_id, project_id, "
            "generation_id, price_version_id, model, credits, dollars, credits_used, reason, "
            "created_at, accrued_at) "
        )
        of_team = (
            "FROM projects_generation g JOIN projects_project p ON p.id = g.project_id "
            f"WHERE p.team_id = {team_id}"
        )
        cursor.execute(
            insert + f"SELECT 'reserve', {team_id}, g.created_by_id, g.project_id, g.id, "
            f"{version_id}, g.model, {estimate}, {estimate} * 0.005, NULL, '', g.created_at, "
            f"g.created_at {of_team}"
        )
        # Kinovi's creditsUsed: 2.5 settles up to two reference seconds above or below
        # its reservation, the others a few thousandths to a few credits below it.
        delta = (
            f"(CASE WHEN g.model = '{SEEDANCE_25}' THEN ((g.id % 5) - 2) * 85.68 "
            "ELSE - (g.id % 3) * 1.125 END)"
        )
        final = f"CASE WHEN g.status = 'fail' THEN -{estimate} ELSE {delta} END"
        cursor.execute(
            insert + "SELECT CASE WHEN g.status = 'fail' THEN 'refund' ELSE 'settle' END, "
            f"{team_id}, g.created_by_id, g.project_id, g.id, {version_id}, g.model, "
            f"{final}, {final} * 0.005, "
            f"CASE WHEN g.status = 'fail' THEN NULL ELSE {estimate} + {delta} END, '', "
            f"g.created_at + interval '2 minutes', g.created_at {of_team} "
            "AND g.status IN ('success', 'fail')"
        )
        user_ids = ",".join(str(u.pk) for u in users)
        # Corrections of -20..+20 credits, never 0.
        correction = "((n % 40) - 20 + CASE WHEN n % 40 >= 20 THEN 1 ELSE 0 END)"
        moment = f"now() - interval '365 days' * (1 - n::float / {ADJUSTMENTS})"
        cursor.execute(
            insert + f"SELECT 'adjust', {team_id}, (ARRAY[{user_ids}])[n % {MEMBERS} + 1], "
            f"NULL, NULL, {version_id}, '', {correction}, {correction} * 0.005, NULL, "
            f"'bench correction', {moment}, {moment} FROM generate_series(1, {ADJUSTMENTS}) n"
        )
        cursor.execute("ANALYZE projects_ledgerentry")
        cursor.execute("ANALYZE projects_generation")
    rows = LedgerEntry.objects.for_team(team).count()
    assert rows == LEDGER_ROWS, rows
    print(f"seeded {rows:,} ledger rows in {time.perf_counter() - started:.1f} s")
    return team


def use_database(name: str) -> None:
    """Point Django's connection at database `name` (the bench's, or its integer twin)."""
    if connection.settings_dict["NAME"] != name:
        connection.close()
        connection.settings_dict["NAME"] = name
    connection.ensure_connection()


def measure(cases: dict, runs: int, databases: dict[str, str]) -> dict:
    """{(database label, name): figures} of each case (client, url, params) in each
    database, run round-robin `runs` times.

    Round-robin, so that a burst of load from other work on this shared machine
    slows every case, in either database, a little rather than one case a lot. The
    connection is switched (and opened) before the clock starts.
    """
    keys = [(label, name) for name in cases for label in databases]
    times = {key: [] for key in keys}
    queries = {key: set() for key in keys}
    status = {}
    for _ in range(runs):
        for label, name in keys:
            client, url, params = cases[name]
            use_database(databases[label])
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url, params)
                if response.streaming:
                    b"".join(response.streaming_content)
                times[label, name].append((time.perf_counter() - started) * 1000)
            status[label, name] = response.status_code
            queries[label, name].add(len(captured))
    figures = {}
    for key, values in times.items():
        values.sort()
        figures[key] = {
            "median": statistics.median(values),
            "p95": values[min(len(values) - 1, int(len(values) * 0.95))],
            "queries": sorted(queries[key]),
            "status": status[key],
        }
    return figures


def integer_twin(database: str) -> str:
    """A copy of the bench database whose ledger credits are integers, as they were
    before the decimal migration (0007: `credits` and `credits_used` integer columns;
    the rows rounded), vacuumed like the original. Made afresh each run (after the
    clients logged in, so their sessions are in it) and dropped at the end."""
    twin = f"{database}_integer"
    started = time.perf_counter()
    use_database("postgres")
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{twin}"')
        cursor.execute(f'CREATE DATABASE "{twin}" TEMPLATE "{database}"')
    use_database(twin)
    with connection.cursor() as cursor:
        for column in ("credits", "credits_used"):
            cursor.execute(
                f"ALTER TABLE projects_ledgerentry ALTER COLUMN {column} "
                f"TYPE integer USING round({column})::integer"
            )
        cursor.execute("VACUUM (ANALYZE) projects_ledgerentry")
    use_database(database)
    print(f"integer twin {twin} made in {time.perf_counter() - started:.1f} s")
    return twin


def drop_database(name: str, back_to: str) -> None:
    use_database("postgres")
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
    use_database(back_to)


def report_cases(admin_client, member_client) -> dict:
    report = reverse("spend_report")
    cases = {
        f"report by {group}": (admin_client, report, {"preset": "last_month", "group": group})
        for group in ("member", "project", "model")
    }
    cases["report by week"] = (admin_client, report, {"preset": "last_month", "interval": "week"})
    cases["my spend"] = (member_client, reverse("spend"), {})
    return cases


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def csv_export(client, params):
    """Time to the first byte, whole time, rows, and peak RSS growth (KiB) of one export."""
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    response = client.get(reverse("spend_csv"), params)
    chunks = iter(response.streaming_content)
    first = next(chunks)
    first_byte = (time.perf_counter() - started) * 1000
    lines = first.count(b"\n")
    for chunk in chunks:
        lines += chunk.count(b"\n")
    total = (time.perf_counter() - started) * 1000
    growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    return first_byte, total, lines - 1, growth


def reservations_per_second(team) -> float:
    """8 submitters, each on its own connection, reserving against the same team budget."""
    members = list(get_user_model().objects.filter(memberships__team=team)[:SUBMITTERS])
    admin = members[0]
    set_budget(team=team, user=None, period="month", hard_limit=2_000_000_000, actor=admin)
    for member in members:
        set_budget(team=team, user=member, period="month", hard_limit=2_000_000_000, actor=admin)
    drafts = {
        member.pk: [
            Generation.objects.create(
                project=Project.objects.filter(team=team, owner=member).first(),
                created_by=member,
                model=STANDARD_MODEL,
                prompt="bench",
            )
            for _ in range(RESERVATIONS_EACH)
        ]
        for member in members
    }
    start = threading.Barrier(SUBMITTERS + 1)
    errors = []

    def submitter(generations):
        try:
            start.wait()
            for generation in generations:
                with transaction.atomic():
                    reserve(generation, has_video_reference=False)
        except BudgetExceeded as exc:  # pragma: no cover - the limits are out of reach
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submitter, args=(g,)) for g in drafts.values()]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return SUBMITTERS * RESERVATIONS_EACH / elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument(
        "--skip-before", action="store_true", help="measure the decimal ledger only"
    )
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    team = seed()
    admin = get_user_model().objects.get(username="bench-00")
    member = get_user_model().objects.get(username="bench-05")
    admin_client, member_client = Client(), Client()
    admin_client.force_login(admin)
    member_client.force_login(member)
    cases = report_cases(admin_client, member_client)
    with connection.cursor() as cursor:
        # What autovacuum does by itself to an insert-mostly table (PostgreSQL >= 13):
        # it marks the pages all-visible, which lets the reports read the ledger from
        # its covering index alone. Rows added since its last run are read from the
        # table as well, as they would be in production.
        cursor.execute("VACUUM (ANALYZE) projects_ledgerentry")
    database = connection.settings_dict["NAME"]
    databases = {"decimal": database}
    if not args.skip_before:
        databases = {"integer": integer_twin(database), **databases}
    try:
        for name in databases.values():  # warm up
            use_database(name)
            admin_client.get(reverse("spend_report"), {"preset": "last_month"})
        measured = measure(cases, args.runs, databases)
    finally:
        if "integer" in databases:
            drop_database(databases["integer"], back_to=database)
    use_database(database)
    results = []
    if "integer" in databases:
        print("before the decimal migration (integer credits, the same rows rounded):")
        for name in cases:
            figures = measured["integer", name]
            print(
                f"  {name:17}: median {figures['median']:6.1f} ms, "
                f"p95 {figures['p95']:6.1f} ms, queries {figures['queries']}"
            )
        print("after it (decimal credits, 3 places), measured in turn with the above:")
    for name in cases:
        figures = measured["decimal", name]
        change = ""
        if "integer" in databases:
            before = measured["integer", name]["median"]
            change = f", {figures['median'] / before:.2f}x the integers'"
        print(
            f"  {name:17}: median {figures['median']:6.1f} ms, p95 {figures['p95']:6.1f} ms, "
            f"queries {figures['queries']} (HTTP {figures['status']}){change}"
        )
        if name == "report by week":  # a chart interval, not a target of its own
            continue
        results.append(
            (
                f"{name} median <= {REPORT_TARGET_MS} ms",
                figures["median"] <= REPORT_TARGET_MS and figures["status"] == 200,
            )
        )
        results.append(
            (
                f"{name} queries constant <= {QUERY_TARGET}",
                len(figures["queries"]) == 1 and figures["queries"][0] <= QUERY_TARGET,
            )
        )

    first_byte, total, rows, growth = csv_export(admin_client, {"preset": "last_month"})
    print(
        f"CSV, last month  : first byte {first_byte:.1f} ms, {rows:,} rows in {total:.0f} ms, "
        f"peak RSS growth {growth / 1024:.1f} MiB"
    )
    _, _, small_rows, small_growth = csv_export(
        admin_client, {"preset": "last_30_days", "member": member.pk}
    )
    print(f"CSV, one member  : {small_rows:,} rows, peak RSS growth {small_growth / 1024:.1f} MiB")
    results.append(
        (f"CSV first byte <= {FIRST_BYTE_TARGET_MS} ms", first_byte <= FIRST_BYTE_TARGET_MS)
    )
    # Constant memory: the month's ~80,000 rows must not grow the process by more than
    # a few MiB (a list of them all would take well over 50 MiB).
    results.append(
        ("CSV streams in constant memory (peak RSS growth < 16 MiB)", growth < 16 * 1024)
    )

    rate = reservations_per_second(team)
    print(f"reservations     : {rate:.0f} per second with {SUBMITTERS} concurrent submitters")
    for label, ok in results:
        print(f"{verdict(ok)}: {label}")


if __name__ == "__main__":
    main()
