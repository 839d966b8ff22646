from __future__ import annotations

import pytest

from crawlers.extract.markup import absolute_url, html_to_text, parse_html


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("plain  text\n\n  more ", "plain text\nmore"),
        ("<p>Hello &amp; <b>bye</b></p><p>Second<br>line</p>", "Hello & bye\nSecond\nline"),
        ("intro<p>para</p>tail", "intro\npara\ntail"),
        ("<ul><li>one</li><li>two</li></ul>", "one\ntwo"),
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("a < b & c", "a < b & c"),
        ("<p>ok</p><script>track()</script><style>p{}</style><!-- note -->", "ok"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_html_to_text(markup: str, text: str) -> None:
    assert html_to_text(markup) == text


@pytest.mark.parametrize(
    ("href", "url"),
    [
        ("/u/jane", "http://127.0.0.1:8000/u/jane"),
        ("b.html#reviews", "http://127.0.0.1:8000/p/b.html"),
        ("#r1", "http://127.0.0.1:8000/p/x.html"),
        ("//cdn.example/y", "http://cdn.example/y"),
        ("https://other.example/x", "https://other.example/x"),
        (None, None), ("", None), ("  ", None),
        ("javascript:void(0)", None), ("mailto:a@b.example", None), ("http://[::1", None),
    ],
)
def test_absolute_url(href: str | None, url: str | None) -> None:
    assert absolute_url("http://127.0.0.1:8000/p/x.html", href) == url


def test_parse_html_encodings() -> None:
    page = "<html><head><meta charset='gbk'></head><body>电池</body></html>".encode("gbk")
    assert (root := parse_html(page)) is not None and root.text_content() == "电池"
    latin = "<html><body>café</body></html>".encode("latin-1")
    assert (root := parse_html(latin, "latin-1")) is not None and root.text_content() == "café"
    # An unknown encoding name falls back to UTF-8 rather than failing.
    assert (root := parse_html(b"<p>ok</p>", "no-such-codec")) is not None
    assert root.text_content() == "ok"
    assert parse_html(b"") is None
    assert parse_html(b" \n ") is None
