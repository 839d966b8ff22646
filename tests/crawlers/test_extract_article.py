from __future__ import annotations

import socket
from pathlib import Path

import pytest

from crawlers.extract.article import article_text

ARTICLES = Path(__file__).resolve().parents[1] / "fixtures" / "pages" / "feed" / "articles"


def _page(name: str) -> bytes:
    return (ARTICLES / name).read_bytes()


def test_main_text_without_navigation_sidebar_or_footer() -> None:
    text = article_text(_page("holiday-phones.html"), "https://ledger.example/a")
    assert text is not None
    assert text.splitlines() == [
        "Three phones for the holidays",
        "We carried three phones for a month. One of them we would buy with our own money, "
        "and it is not the most expensive one.",
        "The Acme Phone X lasted two full days on a charge in our tests, and its camera kept up "
        "with the flagships in daylight. At night it falls behind, but not by much.",
        "The other two were fast and bright, but both needed a charger by dinner time. For most "
        "people the Acme is the easy recommendation this year.",
    ]


@pytest.mark.parametrize("encoding", ["iso-8859-1", None, "no-such-charset"])
def test_latin1_page_by_header_or_by_its_meta_charset(encoding: str | None) -> None:
    text = article_text(_page("hands-on.html"), "https://ledger.example/b", encoding=encoding)
    assert text is not None
    assert "sunny café terrace" in text
    assert "£599" in text


@pytest.mark.parametrize("body", [b"", b"   ", b"\x00\xff\xfe junk", b"<html><body></body></html>"])
def test_no_article_text_is_none(body: bytes) -> None:
    assert article_text(body, "https://ledger.example/c") is None


def test_reads_only_the_bytes_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("article extraction opened a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    words = b"long paragraph about the Acme Phone X and its battery. " * 4
    page = (b'<html><body><article><p>See <a href="http://127.0.0.1:9/x">this</a> ' + words
            + b"</p></article></body></html>")
    assert "Acme Phone X" in (article_text(page, "http://127.0.0.1:9/page") or "")
