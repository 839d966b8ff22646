"""A `Report` as an HTML page and as a PDF.

HTML comes from a Jinja2 template with autoescape on: mention text, author names and
alert summaries are untrusted, and only http(s) URLs become links. The page takes its
chart images from `image(key)`: `cid:` references to parts of the mail, or `data:` URIs for
a page saved alone. The PDF is drawn by fpdf2 (pure Python) in the fonts of
`api.reports.fonts`, with the same charts as PNGs.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from datetime import timedelta
from urllib.parse import urlsplit

import jinja2
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from PIL import Image

from api.reports.charts import png
from api.reports.figures import Figure, Report
from api.reports.fonts import MISSING, cjk_face, latin_face, shown

__all__ = ["chart_images", "data_uri", "html_page", "pdf_document", "plain_text"]

_PAGE = """\
<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ report.title }}</title></head>
<body style="font-family:sans-serif;max-width:680px;margin:auto;color:#222">
<h1 style="font-size:22px">{{ report.title }}</h1>
<p style="color:#666">{{ span }}, compared with {{ report.previous.label }}.</p>
{% for figure in report.figures %}
<section style="border-top:1px solid #ddd;padding:8px 0">
<h2 style="font-size:17px;margin:6px 0">{{ figure.title }}: {{ figure.value }}</h2>
<p>{{ figure.line }}</p>
{% if figure.key in images %}<img src="{{ images[figure.key] }}" alt="{{ figure.title }} chart"
 width="640" style="max-width:100%">{% endif %}
{% if figure.rows %}<table style="border-collapse:collapse;font-size:13px">
<tr>{% for cell in figure.rows[0] %}<th style="text-align:left;padding:2px 8px">{{ cell }}</th>\
{% endfor %}</tr>
{% for row in figure.rows[1:] %}<tr>{% for cell in row %}\
<td style="padding:2px 8px">{{ cell }}</td>{% endfor %}</tr>{% endfor %}
</table>{% endif %}
{% if figure.examples %}<ul style="font-size:13px">
{% for e in figure.examples %}<li>{% if e.url | linkable %}<a href="{{ e.url }}">{{ e.source }}</a>\
{% else %}{{ e.source }}{% endif %} {{ (e.published_at or '')[:10] }}: \
&ldquo;{{ e.text }}&rdquo;</li>
{% endfor %}</ul>{% endif %}
</section>
{% endfor %}
<p style="color:#888;font-size:12px">Made by mentionwatch at {{ made }} UTC.</p>
</body></html>
"""


def _linkable(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["linkable"] = _linkable
    return env


_TEMPLATE = _environment().from_string(_PAGE)


def _span(report: Report) -> str:
    until = report.window.until - timedelta(days=1)  # the last day in the period
    return f"{report.window.since:%Y-%m-%d} to {until:%Y-%m-%d} (UTC)"


def chart_images(report: Report) -> dict[str, bytes]:
    """Each figure's chart as PNG, by figure key."""
    return {f.key: png(f.chart, title=f.title) for f in report.figures if f.chart is not None}


def html_page(report: Report, images: Mapping[str, str]) -> str:
    """The report as one HTML page; `images` maps a figure's key to its chart's `src`."""
    return _TEMPLATE.render(report=report, images=images, span=_span(report),
                            made=f"{report.generated_at:%Y-%m-%d %H:%M}")


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def plain_text(report: Report) -> str:
    """The report as plain text: the mail's part for readers without HTML."""
    lines = [report.title,
             f"{_span(report)}, compared with {report.previous.label}.", ""]
    for figure in report.figures:
        lines += [f"{figure.title}: {figure.value}", figure.line]
        lines += [f"  - {e.url} ({e.source}): {e.text}" for e in figure.examples]
        lines.append("")
    return "\n".join(lines)


class _Pdf(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.set_auto_page_break(True, margin=15)
        latin = latin_face()
        self.add_font("body", fname=latin.path)
        self.add_font("body", style="B", fname=latin.path.with_name("DejaVuSans-Bold.ttf"))
        if (cjk := cjk_face()) is not None:
            self.add_font("cjk", fname=cjk.path, collection_font_number=cjk.index)
            # Chinese in bold text is drawn in the regular CJK face rather than not at all.
            self.set_fallback_fonts(["cjk"], exact_match=False)

    def text_block(self, text: str, size: float, *, bold: bool = False,
                   colour: int = 34) -> None:
        self.set_font("body", "B" if bold else "", size)
        self.set_text_color(colour)
        self.multi_cell(0, size * 0.5, shown(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def table_rows(self, rows: tuple[tuple[str, ...], ...]) -> None:
        self.set_font("body", "", 8)
        with self.table(first_row_as_headings=True, line_height=4.5) as table:
            for row in rows:
                cells = table.row()
                for cell in row:
                    cells.cell(shown(cell))

    def example(self, url: str, source: str, day: str, text: str) -> None:
        self.set_font("body", "", 8)
        self.set_text_color(21, 101, 192)
        self.write(4, shown(source), link=url if _linkable(url) else "")
        self.set_text_color(34)
        self.write(4, f" {day}: ")
        self.multi_cell(0, 4, shown(f"\N{LEFT DOUBLE QUOTATION MARK}{text}"
                                    f"\N{RIGHT DOUBLE QUOTATION MARK}"),
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _figure(pdf: _Pdf, figure: Figure, chart: bytes | None) -> None:
    width = pdf.epw * 0.9
    if chart is not None:
        pixels = Image.open(io.BytesIO(chart)).size
        # A figure's title, line and chart stay on one page.
        if pdf.will_page_break(20 + width * pixels[1] / pixels[0]):
            pdf.add_page()
    pdf.ln(3)
    pdf.text_block(f"{figure.title}: {figure.value}", 12, bold=True)
    pdf.text_block(figure.line, 9)
    if chart is not None:
        pdf.image(io.BytesIO(chart), w=width)
    if figure.rows:
        pdf.table_rows(figure.rows)
    for e in figure.examples:
        pdf.example(e.url, e.source, (e.published_at or "")[:10], e.text)


def pdf_document(report: Report, charts: Mapping[str, bytes]) -> bytes:
    """The report as a PDF, with `charts` (PNG by figure key) under their figures."""
    pdf = _Pdf()
    pdf.set_title(report.title)
    pdf.set_creator("mentionwatch")
    pdf.add_page()
    pdf.text_block(report.title, 16,
                   bold=True)
    pdf.text_block(f"{_span(report)}, compared with {report.previous.label}.", 9, colour=102)
    if cjk_face() is None:
        pdf.text_block(f"No CJK font is installed here, so Chinese text shows as {MISSING}; "
                       "the HTML report shows it (Debian: apt-get install fonts-noto-cjk).",
                       8, colour=102)
    for figure in report.figures:
        _figure(pdf, figure, charts.get(figure.key))
    return bytes(pdf.output())
