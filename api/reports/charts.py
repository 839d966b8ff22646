"""A figure's `Chart` as a PNG, drawn by matplotlib on its Agg backend (no display, no
window system), in the fonts of `api.reports.fonts`."""

from __future__ import annotations

import io
from typing import Any

import matplotlib
from matplotlib.figure import Figure as Canvas
from matplotlib.ticker import MaxNLocator

from api.reports.figures import Chart
from api.reports.fonts import cjk_face, latin_face, shown

__all__ = ["png"]

matplotlib.use("Agg")

#: Sentiment series keep their meaning's colour in every chart; others take the palette.
_COLOURS = {"positive": "#2e7d32", "neutral": "#9e9e9e", "negative": "#c62828"}
_PALETTE = ("#90a4ae", "#1565c0", "#f9a825", "#6a1b9a")


def _families() -> list[str]:
    # matplotlib falls back family by family, glyph by glyph (Chinese in a label).
    return [latin_face().family, *(face.family for face in filter(None, [cjk_face()]))]


def png(chart: Chart, *, title: str, width: float = 6.4) -> bytes:
    """The chart as PNG bytes (640 px wide, at 100 dpi); a horizontal chart as high as its
    categories need."""
    height = max(1.6, 0.8 + 0.35 * len(chart.categories)) if chart.horizontal else 2.6
    with matplotlib.rc_context({"font.family": _families(), "font.size": 9}):
        canvas = Canvas(figsize=(width, height), dpi=100)
        axes = canvas.subplots()
        labels = [shown(c) for c in chart.categories]
        positions = [float(p) for p in range(len(labels))]
        count = len(chart.series)
        bar = 0.8 if chart.stacked else 0.8 / max(count, 1)
        base = [0.0] * len(labels)
        for n, (name, values) in enumerate(chart.series):
            style: dict[str, Any] = {"label": shown(name),
                                     "color": _COLOURS.get(name, _PALETTE[n % len(_PALETTE)])}
            if chart.stacked:
                at, start = positions, base
                base = [b + v for b, v in zip(base, values, strict=True)]
            else:
                at = [p + (n - (count - 1) / 2) * bar for p in positions]
                start = [0.0] * len(labels)
            if chart.horizontal:
                axes.barh(at, values, height=bar, left=start, **style)
            else:
                axes.bar(at, values, width=bar, bottom=start, **style)
        ticks = axes.set_yticks if chart.horizontal else axes.set_xticks
        ticks(positions, labels)
        (axes.xaxis if chart.horizontal else axes.yaxis).set_major_locator(
            MaxNLocator(integer=True))  # counts and whole percents
        if chart.horizontal:
            axes.invert_yaxis()  # the first category on top
        elif len(labels) > 12:
            axes.tick_params(axis="x", labelrotation=90, labelsize=7)
        axes.set_title(shown(title), loc="left")
        axes.spines[["top", "right"]].set_visible(False)
        # Beside the plot, never over a bar.
        axes.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        canvas.tight_layout()
        out = io.BytesIO()
        canvas.savefig(out, format="png")
    return out.getvalue()
