"""The report's chart: each indicator's progress against its target, and the
communes contributing most.  One PNG of about 1200×900 pixels, drawn with
matplotlib's Agg backend (no display), imported only when a chart is drawn so
the bot starts as fast as before."""

from __future__ import annotations

from pathlib import Path

from .geo import Communes
from .i18n import Translator
from .indicators import Progress

WIDTH, HEIGHT, DPI = 12, 9, 100  # inches at DPI: 1200×900 pixels
TOP_COMMUNES = 10
CAP = 1.2  # bars stop at 120 % of the target


def draw(path: Path, t: Translator, progress: Progress, communes: Communes) -> Path:
    """Write the chart to ``path`` (PNG) and return it."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
    top, bottom = fig.subplots(2, 1, gridspec_kw={"height_ratios": [1.1, 1]})
    fig.suptitle(t.plain("Progress against the targets — {period}", period=progress.period.title(t)),
                 fontsize=15, fontweight="bold")
    _progress(top, t, progress)
    _communes(bottom, t, progress, communes)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    fig.savefig(path, format="png", dpi=DPI)
    return path


def _progress(ax, t: Translator, progress: Progress) -> None:
    rows = [r for r in progress.results if r.target][::-1]  # first indicator on top
    if not rows:
        _empty(ax, t)
        return
    shares = [min(r.of_target or 0, CAP) * 100 for r in rows]
    colours = ["#2e7d32" if (r.of_target or 0) >= 1 else "#f9a825" if (r.of_target or 0) >= 0.5
               else "#c62828" for r in rows]
    ax.barh([r.indicator.short for r in rows], shares, color=colours)
    ax.axvline(100, color="#333333", linestyle="--", linewidth=1)
    for y, r in enumerate(rows):
        ax.text(min((r.of_target or 0) * 100, CAP * 100) + 1, y, _label(t, r), va="center", fontsize=9)
    ax.set_xlim(0, CAP * 100 + 30)
    ax.set_xlabel(t.plain("% of target"))
    ax.set_title(t.plain("Each indicator against its target"), fontsize=12)


def _label(t: Translator, r) -> str:
    if r.indicator.unit == "percent":
        value, target = t.number(round(r.value, 1)) + "%", t.number(r.target) + "%"
    else:
        value, target = t.number(round(r.value, 1)), t.number(r.target)
    return f"{value} / {target} ({t.number(round((r.of_target or 0) * 100, 1))}%)"


def _communes(ax, t: Translator, progress: Progress, communes: Communes) -> None:
    """Counted indicators (products, models…) in the communes with the most of them."""
    counted = [r for r in progress.results if r.indicator.unit == "count" and r.target]
    totals: dict[str, float] = {}
    for r in counted:
        for row in r.rows:
            if row.code is not None and row.value:
                totals[row.code] = totals.get(row.code, 0) + row.value
    best = sorted(totals, key=lambda c: (-totals[c], c))[:TOP_COMMUNES][::-1]
    if not best:
        _empty(ax, t)
        return
    height = 0.8 / len(counted)
    for i, r in enumerate(counted[::-1]):  # the first indicator's bar on top
        values = dict((row.code, row.value) for row in r.rows)
        ys = [y + i * height - 0.4 + height / 2 for y in range(len(best))]
        ax.barh(ys, [values.get(c, 0) for c in best], height=height, label=r.indicator.short)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_yticks(range(len(best)))
    ax.set_yticklabels([communes.get(c).name if communes.get(c) else c for c in best])
    handles, names = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], names[::-1], loc="lower right", fontsize=9)
    ax.set_title(t.plain("Communes and wards with the most (top {n})", n=len(best)), fontsize=12)


def _empty(ax, t: Translator) -> None:
    ax.text(0.5, 0.5, t.plain("No answers yet for this period"), ha="center", va="center",
            fontsize=12, transform=ax.transAxes)
    ax.set_axis_off()
