"""Geometry of the SVG charts the credits templates draw: no chart library, the same
numbers as the tables beside them."""

from dataclasses import dataclass
from decimal import Decimal

CHART_WIDTH = 640
CHART_HEIGHT = 220
CHART_PLOT_TOP = 20
CHART_PLOT_BOTTOM = 190
BREAKDOWN_ROW = 24
BREAKDOWN_WIDTH = 400
BREAKDOWN_LABEL_WIDTH = 120
BREAKDOWN_BAR_WIDTH = 210


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    credits: int
    dollars: Decimal
    is_other: bool = False

    @property
    def text_x(self) -> float:
        """Where a row's value is written: after its bar."""
        return self.x + self.width + 5


def column_chart(points) -> list[Bar]:
    """Columns for a time series (negative net spend drawn as 0 high)."""
    if not points:
        return []
    top = max((point.credits for point in points), default=0) or 1
    slot = CHART_WIDTH / len(points)
    plot = CHART_PLOT_BOTTOM - CHART_PLOT_TOP
    bars = []
    for index, point in enumerate(points):
        height = plot * max(point.credits, 0) / top
        bars.append(
            Bar(
                x=round(index * slot + slot * 0.1, 2),
                y=round(CHART_PLOT_BOTTOM - height, 2),
                width=round(max(slot * 0.8, 0.5), 2),
                height=round(height, 2),
                label=point.start.isoformat(),
                credits=point.credits,
                dollars=point.dollars,
            )
        )
    return bars


def row_chart(groups) -> list[Bar]:
    """Horizontal bars for a breakdown: one 24-unit row each, widths against the largest."""
    top = max((group.credits for group in groups), default=0) or 1
    return [
        Bar(
            x=BREAKDOWN_LABEL_WIDTH,
            y=index * BREAKDOWN_ROW,
            width=round(BREAKDOWN_BAR_WIDTH * max(group.credits, 0) / top, 2),
            height=18,
            label=group.name,
            credits=group.credits,
            dollars=group.dollars,
            is_other=group.is_other,
        )
        for index, group in enumerate(groups)
    ]
