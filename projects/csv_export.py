"""The spend report as CSV: rows streamed as they are read, text cells a spreadsheet
cannot run as a formula."""

import csv
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import StreamingHttpResponse

from projects.kinovi import pricing
from projects.models.reports import ReportScope
from projects.models.review_spend import verdict_of_entry

# CSV cells that a spreadsheet would run as a formula start with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def csv_safe(value) -> str | int | Decimal:
    """Text a spreadsheet shows as text: a leading formula character gets a quote.

    Numbers pass unformatted (a negative number is a number, not a formula), and so do
    credits, which the caller wrote as plain numbers (-50, 85.68).
    """
    if isinstance(value, int | Decimal) or _PLAIN_NUMBER.fullmatch(str(value)):
        return value
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write returns the line, for csv.writer to stream."""

    def write(self, value):
        return value


ENTRY_COLUMNS = [
    "accrued_at",
    "created_at",
    "kind",
    "team",
    "member",
    "project",
    "generation",
    "model",
    "status",
    "credits",
    "dollars",
    "credits_used",
    "price_version",
    "reason",
    "verdict",
]


def entry_rows(scope: ReportScope):
    """One row per ledger entry of the scope, in ENTRY_COLUMNS' order, times in TIME_ZONE."""
    tz = ZoneInfo(settings.TIME_ZONE)
    rows = (
        scope.entries()
        .annotate(verdict=verdict_of_entry())
        .order_by("accrued_at", "id")
        .values_list(
            "accrued_at",
            "created_at",
            "kind",
            "team__name",
            "user__username",
            "project__name",
            "generation_id",
            "model",
            "generation__status",
            "credits",
            "dollars",
            "credits_used",
            "price_version_id",
            "reason",
            "verdict",
        )
    )
    plain = pricing.plain_credits
    for row in rows.iterator(chunk_size=2000):
        accrued, created, *facts, credits, dollars, used, version, reason, verdict = row
        yield [
            accrued.astimezone(tz).isoformat(),
            created.astimezone(tz).isoformat(),
            *facts,
            plain(credits),
            dollars,
            plain(used),
            version,
            reason,
            verdict,
        ]


def streamed_csv(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    """A download of `header` and `rows`, written line by line as the client reads."""
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([csv_safe(cell) if cell is not None else "" for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
