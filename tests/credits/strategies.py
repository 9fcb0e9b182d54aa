"""What the credits property tests share: Hypothesis strategies of ledger steps and a
rollback around each example.

A test draws a list of steps, `("reserve", ...)`, `("settle", index, used)`,
`("refund", index)`, `("adjust", credits, ...)`, and plays them; a settle or refund acts
on the video at `index` (modulo their number) of those still open, so any drawn index
means something. Each test chooses what a reserve, a settle and an adjustment carry.
"""

import contextlib
from decimal import Decimal

from django.db import transaction
from hypothesis import strategies as st

from projects.kinovi.pricing import FAST_MODEL, STANDARD_MODEL

# Which video a settle or refund acts on, modulo the number of videos it may pick from.
VIDEO_INDEX = st.integers(0, 30)
MODELS = st.sampled_from([STANDARD_MODEL, FAST_MODEL])
# A video's length in seconds, as the composer offers it.
LENGTHS = st.integers(4, 15)
# Credits to three decimal places (Kinovi's creditsUsed), 0 to 3,000.
THOUSANDTHS = st.integers(0, 3_000_000).map(lambda n: Decimal(n).scaleb(-3))
# Per-second rates of every shape a price version may hold.
RATES = st.sampled_from(["7.5", "85.68", "143.4", "40", "0.001", "26.125"]).map(Decimal)

REFUND = st.tuples(st.just("refund"), VIDEO_INDEX)


def reserve_step(*arguments):
    return st.tuples(st.just("reserve"), *arguments)


def settle_step(used):
    """A settle of an open video at `used` (credits, or what the test makes of it)."""
    return st.tuples(st.just("settle"), VIDEO_INDEX, used)


def adjust_step(credits, *arguments):
    return st.tuples(st.just("adjust"), credits, *arguments)


def nonzero(low: int, high: int):
    """Whole credits from `low` to `high`, never 0 (an adjustment of nothing is refused)."""
    return st.integers(low, high).filter(bool)


def ledger_steps(*steps, max_size: int):
    return st.lists(st.one_of(*steps), max_size=max_size)


class _Rollback(Exception):
    pass


@contextlib.contextmanager
def rolled_back():
    """Each example in a transaction rolled back at its end: the next starts clean (a
    Hypothesis test runs every example inside one test's database)."""
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass
