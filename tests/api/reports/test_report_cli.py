"""`mentionwatch report`: a brand's week as JSON, PDF (its text read back with pypdf) and
one HTML page, from a seeded SQLite file."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from api.cli import main
from api.reports import charts, fonts, render
from api.reports.fonts import MISSING, cjk_face

AT = "2026-11-18T09:30:00+00:00"  # the conftest's NOW: the week reported is 2026-W46


def _report(db: Path, *more: str) -> dict:
    result = CliRunner().invoke(main, ["report", "--brand", "acme", "--period", "week",
                                       "--at", AT, "--db", str(db), *more])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if result.stdout else {}


def test_json_figures_say_what_changed_and_link_the_mentions(db: Path) -> None:
    report = _report(db)
    assert (report["label"], report["previous"]) == ("2026-W46", "2026-W45")
    figures = {f["key"]: f for f in report["figures"]}
    assert list(figures) == ["volume", "sentiment", "rating", "nps", "share_of_voice",
                             "aspects", "rising", "advocates", "alerts"]
    assert figures["volume"]["line"] == "Mentions rose from 10 to 15 (+50%) against 2026-W45."
    assert figures["sentiment"]["line"] == ("Negative mentions rose from 4 to 11; most about "
                                            "charging.")
    negatives = figures["sentiment"]["examples"]
    assert len(negatives) == 3
    assert all(e["url"].startswith("https://shop.example/reviews/") for e in negatives)
    assert figures["rating"]["line"] == ("Average rating fell from 3.8 stars to 2.0 stars "
                                         "over 13 reviews.")
    assert figures["nps"]["value"] == "-47"
    assert figures["share_of_voice"]["line"] == ("Acme's share of the watched brands' mentions "
                                                 "fell from 100% to 75%; Zephyr 25%.")
    assert figures["aspects"]["rows"][1] == ["charging", "9", "9", "0"]
    assert "充电很慢，电池鼓包" in [e["text"] for e in figures["aspects"]["examples"]]
    assert figures["advocates"]["rows"][1][:3] == ["Dana Lee", "connector", "1"]


def test_pdf_holds_every_figure_with_its_line(db: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "acme.pdf"
    _report(db, "--pdf", str(pdf))
    reader = PdfReader(io.BytesIO(pdf.read_bytes()))
    # pypdf puts spaces between the glyphs of a CJK font; the Latin text reads back as is.
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in ("Acme: weekly report, 2026-W46",
                     "Mention volume: 15 mentions",
                     "Negative mentions rose from 4 to 11; most about charging.",
                     "Average rating: 2.0 / 5",
                     "NPS fell from 20 to -47",
                     "Share of voice: 75%",
                     "Most said about charging: 9 mentions, 9 negative",
                     "Dana Lee",
                     "No alert fired (0 in 2026-W45).",
                     "Broke again <script>alert(1)</script> & worse"):
        assert expected in text
    if cjk_face() is not None:
        assert "电" in text and "鼓" in text
    else:
        assert f"Chinese text shows as {MISSING}" in text
    links = [a.get_object()["/A"]["/URI"] for page in reader.pages
             for a in page.get("/Annots", [])]
    assert "https://shop.example/reviews/19" in links


def test_without_a_cjk_font_the_pdf_says_so_and_marks_the_characters(
        db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (fonts, render, charts):
        monkeypatch.setattr(module, "cjk_face", lambda: None)
    fonts._drawable.cache_clear()
    pdf = tmp_path / "acme.pdf"
    try:
        _report(db, "--pdf", str(pdf))
    finally:
        fonts._drawable.cache_clear()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert "No CJK font is installed here, so Chinese text shows as" in text
    # 充电很慢，电池鼓包: DejaVu has not even the full-width comma.
    assert MISSING * 9 in text.replace(" ", "")
    assert "电" not in text


def test_html_escapes_mention_text_and_embeds_its_charts(db: Path, tmp_path: Path) -> None:
    html = tmp_path / "acme.html"
    _report(db, "--html", str(html))
    page = html.read_text(encoding="utf-8")
    assert "Broke again &lt;script&gt;alert(1)&lt;/script&gt; &amp; worse" in page
    assert "<script>" not in page
    assert page.count('src="data:image/png;base64,') == 4  # volume, sentiment, share, aspects
    assert '<a href="https://shop.example/reviews/19">shop.example</a>' in page


def test_unknown_brand_is_a_clear_error(db: Path) -> None:
    result = CliRunner().invoke(main, ["report", "--brand", "Nobody", "--db", str(db)])
    assert result.exit_code == 1
    assert "no mentions of brand 'Nobody' in the index" in result.output


def test_brand_is_required_without_send(db: Path) -> None:
    result = CliRunner().invoke(main, ["report", "--db", str(db)])
    assert result.exit_code == 2
    assert "give --brand NAME" in result.output
