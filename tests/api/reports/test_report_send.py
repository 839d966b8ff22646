"""`mentionwatch report send`: the watchlist's [[reports]] mailed through a real SMTP server
on 127.0.0.1 (STARTTLS), as HTML with inline chart images and the PDF attached, once per
period."""

from __future__ import annotations

import io
import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from api.cli import main
from api.reports.options import ReportConfigError, configured_reports
from api.watchlist import parse_watchlist

WATCHLIST = """\
[[brands]]
name = "Acme"
terms = ["Acme"]

[[brands]]
name = "Zephyr"
terms = ["Zephyr"]

[[reports]]
brand = "acme"
period = "week"
smtp = "smtp://127.0.0.1:{port}"
sender = "mentionwatch@example.com"
to = ["lead@example.com", "pr@example.com"]
"""
AT = "2026-11-18T09:30:00+00:00"  # the week reported is 2026-W46


@pytest.fixture()
def watchlist(tmp_path: Path, smtp_server, monkeypatch: pytest.MonkeyPatch) -> Path:
    _, port = smtp_server
    monkeypatch.setenv("MENTIONWATCH_ALLOW_LOOPBACK", "true")
    path = tmp_path / "mentionwatch.toml"
    path.write_text(WATCHLIST.format(port=port), encoding="utf-8")
    return path


def _send(db: Path, watchlist: Path, at: str = AT):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["report", "send", "--db", str(db), "--watchlist",
                                     str(watchlist), "--at", at])


def _parts(message: EmailMessage, content_type: str) -> list[EmailMessage]:
    return [p for p in message.walk() if p.get_content_type() == content_type]  # type: ignore[misc]


def test_mail_has_html_inline_charts_and_the_pdf(db: Path, watchlist: Path,
                                                 smtp_server) -> None:
    capture, _ = smtp_server
    result = _send(db, watchlist)
    assert result.exit_code == 0, result.output
    assert "sent Acme week 2026-W46 -> lead@example.com, pr@example.com" in result.output
    [envelope] = capture.envelopes
    assert envelope.rcpt_tos == ["lead@example.com", "pr@example.com"]
    [message] = capture.messages()
    assert message["Subject"] == "[mentionwatch] Acme: weekly report, 2026-W46"

    [html] = _parts(message, "text/html")
    page = html.get_content()
    assert "Negative mentions rose from 4 to 11; most about charging." in page
    assert "Broke again &lt;script&gt;alert(1)&lt;/script&gt; &amp; worse" in page
    assert '<a href="https://shop.example/reviews/19">' in page
    images = _parts(message, "image/png")
    assert len(images) == 4
    for image in images:  # each chart is a part of the mail the page refers to by cid:
        assert image.get_content().startswith(b"\x89PNG")
        assert f'src="cid:{image["Content-ID"].strip("<>")}"' in page
    sources = re.findall(r'src="([^"]*)"', page)
    assert len(sources) == 4 and all(s.startswith("cid:") for s in sources)  # nothing remote

    [pdf] = _parts(message, "application/pdf")
    assert pdf.get_filename() == "mentionwatch-acme-2026-W46.pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.get_content())).pages)
    assert "Negative mentions rose from 4 to 11; most about charging." in text
    assert "Average rating fell from 3.8 stars to 2.0 stars over 13 reviews." in text


def test_each_period_is_sent_once(db: Path, watchlist: Path, smtp_server) -> None:
    capture, _ = smtp_server
    assert _send(db, watchlist).exit_code == 0
    again = _send(db, watchlist, "2026-11-20T09:30:00+00:00")  # still in the week after W46
    assert again.exit_code == 0, again.output
    assert "sent" not in again.output
    assert len(capture.envelopes) == 1
    next_week = _send(db, watchlist, "2026-11-23T00:30:00+00:00")
    assert "sent Acme week 2026-W47" in next_week.output
    assert len(capture.envelopes) == 2


def test_a_failed_send_is_tried_again(db: Path, tmp_path: Path, smtp_server,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    capture, port = smtp_server
    monkeypatch.setenv("MENTIONWATCH_ALLOW_LOOPBACK", "true")
    broken = tmp_path / "broken.toml"
    # Nothing listens on port 1 of 127.0.0.1: the connection is refused.
    broken.write_text(WATCHLIST.format(port=1), encoding="utf-8")
    failed = _send(db, broken)
    assert failed.exit_code == 1
    assert "failed Acme week 2026-W46" in failed.output
    mended = tmp_path / "mended.toml"
    mended.write_text(WATCHLIST.format(port=port), encoding="utf-8")
    assert "sent Acme week 2026-W46" in _send(db, mended).output
    assert len(capture.envelopes) == 1


def _watchlist(extra: str) -> str:
    return WATCHLIST.format(port=25) + extra


def test_a_report_of_an_unwatched_brand_is_refused() -> None:
    watchlist = parse_watchlist(WATCHLIST.format(port=25).replace('"acme"', '"Acne"'))
    with pytest.raises(ReportConfigError, match=r"reports\[0\].brand: 'Acne' is not a brand"):
        configured_reports(watchlist)


def test_a_password_without_tls_is_refused_as_for_the_email_notifier() -> None:
    watchlist = parse_watchlist(_watchlist('starttls = false\nusername = "me"\n'))
    with pytest.raises(ReportConfigError, match=r"reports\[0\]\.starttls: a username is never"):
        configured_reports(watchlist)


def test_two_reports_of_one_name_are_refused() -> None:
    table = WATCHLIST.format(port=25).split("[[reports]]")[1]
    watchlist = parse_watchlist(WATCHLIST.format(port=25) + "\n[[reports]]" + table)
    with pytest.raises(ReportConfigError, match="two reports are named 'Acme week'"):
        configured_reports(watchlist)


def test_an_unknown_key_names_its_line() -> None:
    from index.watchlist import WatchlistError

    with pytest.raises(WatchlistError, match=r"watchlist:\d+: reports\[0\]\.perod: Extra"):
        parse_watchlist(_watchlist('perod = "day"\n'))
