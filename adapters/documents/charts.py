"""The office's statistics as charts, drawn once for both the console and the printed report:
plain SVG whose geometry is computed here, with no script and no chart library.

Each shape carries its colour twice: a `class` (the console's CSS colours it, in the page's
palette and dark mode) and a `fill` (typst, which knows no CSS, prints that). Text names the
CJK font typst embeds (`FONT`), so the report's labels are Chinese glyphs, never boxes; a
browser without that font falls back to its sans-serif.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

FONT = "Noto Sans CJK SC"
SIZE = 11
"""Labels' font size, in the SVG's pixels."""
ROW = 22
BAR = 16
GAP = 6
WIDTH = 560
PALETTE = ("#0b4f8a", "#d1242f", "#bf8700", "#1a7f37", "#8250df", "#57606a")
"""console.css's `series-0` … `series-5`, in the same order."""
STATES = {
    "done-on-time": "#1a7f37",
    "done-late": "#9a6700",
    "open": "#9ecbff",
    "open-overdue": "#b42318",
}
"""The completion bar's parts, as console.css colours them."""


def text_width(text: str, size: int = SIZE) -> float:
    """About how wide a label is drawn: a Chinese character is one em, a Latin one about half."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.6 for ch in text)


@dataclass(frozen=True)
class Series:
    label: str
    css: str
    """The console's class for it (series-N, done-late …)."""
    colour: str


def series(labels: Sequence[str]) -> tuple[Series, ...]:
    return tuple(
        Series(label, f"series-{n % len(PALETTE)}", PALETTE[n % len(PALETTE)])
        for n, label in enumerate(labels)
    )


@dataclass(frozen=True)
class Chart:
    """A chart as the page and the report show it: its SVG, and its figures as a table for
    those who do not read charts (the console prints that table beside it)."""

    title: str
    unit: str
    svg: str
    rows: tuple[tuple[str, tuple[int, ...]], ...]
    """Row label -> its value in each series."""
    legend: tuple[Series, ...]

    @property
    def empty(self) -> bool:
        return not self.rows

    def __html__(self) -> str:
        """Jinja2 inserts the SVG as markup: every text in it was escaped here."""
        return self.svg


def _attrs(**values: object) -> str:
    return " ".join(f'{k.rstrip("_").replace("_", "-")}="{v}"' for k, v in values.items())


def stacked_bars(
    title: str,
    unit: str,
    rows: Sequence[tuple[str, Sequence[int]]],
    legend: Sequence[Series],
    width: int = WIDTH,
) -> Chart:
    """One horizontal bar per row, its series stacked left to right and its total at its end:
    a month that spikes, or a department that lets deadlines pass, stands out at a glance."""
    label_width = int(max((text_width(label) for label, _ in rows), default=0)) + 8
    total_width = int(text_width(str(max((sum(v) for _, v in rows), default=0)))) + 8
    plot = max(width - label_width - total_width, 40)
    biggest = max((sum(values) for _, values in rows), default=0) or 1
    shapes: list[str] = []
    y = 0
    for label, values in rows:
        shapes.append(
            f"<text {_attrs(x=0, y=y + 15, class_='chart-label', fill='#1f2328')}>"
            f"{escape(label)}</text>"
        )
        x = float(label_width)
        for value, part in zip(values, legend, strict=True):
            if not value:
                continue
            w = plot * value / biggest
            rect = _attrs(
                x=_n(x), y=y + 3, width=f"{w:.1f}", height=BAR, class_=part.css, fill=part.colour
            )
            shapes.append(
                f"<rect {rect}><title>{escape(label)} {escape(part.label)}："
                f"{value} {escape(unit)}</title></rect>"
            )
            x += w
        shapes.append(
            f"<text {_attrs(x=f'{x + 4:.1f}', y=y + 15, class_='chart-value', fill='#1f2328')}>"
            f"{sum(values)}</text>"
        )
        y += ROW
    height = _legend(shapes, legend, y + GAP, width) if rows else 0
    return Chart(
        title,
        unit,
        _svg(title, width, height, shapes) if rows else "",
        tuple((label, tuple(values)) for label, values in rows),
        tuple(legend),
    )


def _n(value: float) -> str:
    """An integer where it is one (the first segment starts at the label's edge)."""
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def _legend(shapes: list[str], legend: Sequence[Series], y: int, width: int) -> int:
    """Swatches and names under the bars, wrapping to the chart's width; the height used."""
    x = 0.0
    for part in legend:
        room = 16 + text_width(part.label) + 14
        if x and x + room > width:
            x, y = 0.0, y + ROW
        swatch = _attrs(x=_n(x), y=y + 4, width=12, height=12, class_=part.css, fill=part.colour)
        shapes.append(f"<rect {swatch}/>")
        shapes.append(
            f"<text {_attrs(x=_n(x + 16), y=y + 15, class_='chart-label', fill='#1f2328')}>"
            f"{escape(part.label)}</text>"
        )
        x += room
    return y + ROW


def _svg(title: str, width: int, height: int, shapes: list[str]) -> str:
    head = _attrs(
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {width} {height}",
        width=width,
        height=height,
        role="img",
        aria_label=escape(title),
        font_family=f"{FONT}, sans-serif",
        font_size=SIZE,
    )
    return f"<svg {head}><title>{escape(title)}</title>{''.join(shapes)}</svg>"


# ---------------------------------------------------------------------------- the office's charts
def by_month(
    title: str, unit: str, figures: Sequence[tuple[str, str, int]], departments: Sequence[str]
) -> Chart:
    """(month, department label, value) -> a bar per month, stacked by department."""
    months = sorted({month for month, _, _ in figures})
    value = {(m, d): v for m, d, v in figures}
    rows = [(m, [value.get((m, d), 0) for d in departments]) for m in months]
    rows = [(m, values) for m, values in rows if any(values)]
    return stacked_bars(title, unit, rows, series(departments))


def by_label(
    title: str, unit: str, counts: Sequence[tuple[str, Sequence[int]]], parts: Sequence[str]
) -> Chart:
    """Rows already counted per part (a category's results per department, …)."""
    return stacked_bars(title, unit, [(k, list(v)) for k, v in counts if any(v)], series(parts))


def completion_bar(title: str, parts: Sequence[tuple[str, str, int]]) -> Chart:
    """The plan's tasks against 30 November as one bar: (state, label, count) in STATES' order."""
    legend = tuple(Series(f"{label} {count}", css, STATES[css]) for css, label, count in parts)
    counts = [count for _, _, count in parts]
    return stacked_bars(title, "项", [("计划任务", counts)] if any(counts) else [], legend)
