"""Charts drawn on the server as inline SVG: no script, no request to anywhere (the admin site's content security
and the reviewers' networks both allow nothing else). Each bar carries a <title> with its exact figure, and the
page prints the numbers beside the chart."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

BAR = "#417690"  # the admin site's own blue
Number = int | Decimal


def _scale(values: Sequence[Number]) -> float:
    top = max((float(value) for value in values), default=0.0)
    return top if top > 0 else 1.0


def column_chart(
    points: Sequence[tuple[str, Number]], *, title: str, width: int = 620, height: int = 140
) -> SafeString:
    """Vertical bars left to right (a time series): `points` are (label, value)."""
    top = _scale([value for _label, value in points])
    step = width / max(len(points), 1)
    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>',
        (
            (
                _n(index * step + 1),
                _n(height - float(value) / top * (height - 14)),
                _n(max(step - 2, 1)),
                _n(float(value) / top * (height - 14)),
                BAR,
                label,
                value,
            )
            for index, (label, value) in enumerate(points)
        ),
    )
    return format_html(
        '<svg class="desk-chart" role="img" aria-label="{}" width="{}" height="{}" viewBox="0 0 {} {}" '
        'xmlns="http://www.w3.org/2000/svg"><text x="2" y="10" font-size="10" fill="#666">{}</text>{}'
        '<line x1="0" y1="{}" x2="{}" y2="{}" stroke="#999"/></svg>',
        title,
        width,
        height,
        width,
        height,
        _top_label(points),
        bars,
        height,
        width,
        height,
    )


def bar_chart(items: Sequence[tuple[str, Number]], *, title: str, width: int = 360, row: int = 18) -> SafeString:
    """Horizontal bars, one per category: `items` are (label, value); the label and the value are printed too."""
    top = _scale([value for _label, value in items])
    label_width, value_width = 120, 90
    room = width - label_width - value_width
    rows = format_html_join(
        "",
        '<text x="0" y="{}" font-size="11">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>'
        '<text x="{}" y="{}" font-size="11">{}</text>',
        (
            (
                index * row + row - 5,
                label,
                label_width,
                index * row + 3,
                _n(float(value) / top * room),
                row - 6,
                BAR,
                label,
                value,
                _n(label_width + float(value) / top * room + 4),
                index * row + row - 5,
                value,
            )
            for index, (label, value) in enumerate(items)
        ),
    )
    height = max(len(items), 1) * row
    return format_html(
        '<svg class="desk-chart" role="img" aria-label="{}" width="{}" height="{}" viewBox="0 0 {} {}" '
        'xmlns="http://www.w3.org/2000/svg">{}</svg>',
        title,
        width,
        height,
        width,
        height,
        rows,
    )


def _top_label(points: Sequence[tuple[str, Number]]) -> str:
    """The tallest bar's figure, at the top of the chart (nothing when every figure is zero)."""
    top = max((value for _label, value in points), default=0)
    return f"{top:,}" if top else ""


def _n(number: float) -> str:
    return f"{number:.1f}"
