"""Small charts for the console's pages, as inline SVG (no script, nothing from the
internet): horizontal bars (each indicator against its target) and columns (new
members per week).  Every label is escaped here, so a name such as ``<script>``
shows as text; the result is :class:`markupsafe.Markup` for a template."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

GOOD, HALF, LOW, PLAIN = "#2e7d32", "#f9a825", "#c62828", "#1565c0"


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    share: float | None  # of the target: 1.0 = reached; None = no target
    text: str  # what is written after the bar ("3 / 10 (30 %)")


def _colour(share: float | None) -> str:
    if share is None:
        return PLAIN
    return GOOD if share >= 1 else HALF if share >= 0.5 else LOW


def bars(rows: Sequence[Bar], *, title: str, cap: float = 1.2) -> Markup:
    """One row per indicator: a bar as long as its share of the target (stopping at
    ``cap``), a dashed line at the target, its label above and its figures beside."""
    width, label_h, bar_h, gap, left, right = 640, 16, 16, 10, 4, 150
    scale = (width - left - right) / cap
    row_h = label_h + bar_h + gap
    height = max(row_h * len(rows), row_h)
    out = [_svg(width, height),
           f"<title>{escape(title)}</title>"]
    target_x = left + scale * 1.0
    for i, r in enumerate(rows):
        y = i * row_h
        share = min(max(r.share or 0.0, 0.0), cap)
        w = scale * share
        out.append(f'<text x="{left}" y="{y + label_h - 4}" class="label">{escape(r.label)}</text>')
        out.append(f'<rect x="{left}" y="{y + label_h}" width="{w:.1f}" height="{bar_h}" '
                   f'fill="{_colour(r.share)}"><title>{escape(r.label)}: {escape(r.text)}</title></rect>')
        out.append(f'<text x="{width - 4}" y="{y + label_h + bar_h - 3}" class="value" '
                   f'text-anchor="end">{escape(r.text)}</text>')
    out.append(f'<line x1="{target_x:.1f}" y1="0" x2="{target_x:.1f}" y2="{height}" '
               'stroke="#333" stroke-dasharray="4 3" stroke-width="1"/>')
    out.append("</svg>")
    return Markup("".join(out))


def columns(points: Sequence[tuple[str, float]], *, title: str, every: int = 4) -> Markup:
    """One column per point (a week), its value on top when not zero, every
    ``every``-th label under it counting back from the newest."""
    width, height, top, bottom = 640, 220, 18, 28
    n = max(len(points), 1)
    slot = width / n
    peak = max((v for _, v in points), default=0) or 1
    usable = height - top - bottom
    out = [_svg(width, height),
           f"<title>{escape(title)}</title>",
           f'<line x1="0" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="#999"/>']
    for i, (label, value) in enumerate(points):
        h = usable * value / peak
        x = i * slot
        out.append(f'<rect x="{x + slot * 0.15:.1f}" y="{height - bottom - h:.1f}" '
                   f'width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{PLAIN}">'
                   f"<title>{escape(label)}: {escape(_num(value))}</title></rect>")
        if value:
            out.append(f'<text x="{x + slot / 2:.1f}" y="{height - bottom - h - 4:.1f}" '
                       f'class="value" text-anchor="middle">{escape(_num(value))}</text>')
        if (len(points) - 1 - i) % every == 0:  # the newest week always named
            out.append(f'<text x="{x + slot / 2:.1f}" y="{height - 8}" class="label" '
                       f'text-anchor="middle">{escape(label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def _svg(width: int, height: int) -> str:
    return (f'<svg class="chart rep-chart" role="img" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" '
            'preserveAspectRatio="xMinYMin meet">')


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"
