from __future__ import annotations

from pathlib import Path

import pytest

from api.watchlist import load_watchlist
from index.watchlist import WatchlistError

GOOD = """\
[[brands]]
name = "Acme"
terms = ["Acme", "艾克美"]
exclude = ["Acme Anvil"]

[[brands.sources]]
type = "schemaorg"
url = "https://shop.example/products/acme.html"

[[brands.sources]]
type = "feed"
url = "https://news.example/feed.xml"

[[brands]]
name = "Zephyr"
terms = ["Zephyr"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mentionwatch.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_file_loads(tmp_path: Path) -> None:
    wl = load_watchlist(write(tmp_path, GOOD))
    acme = wl.brand("acme")
    assert [s.type for s in acme.sources] == ["schemaorg", "feed"]
    assert acme.sources[0].follow_prefix == "https://shop.example/products/"
    assert wl.brand("Zephyr").sources == ()


def test_brand_matching_respects_words_chinese_and_exclusions(tmp_path: Path) -> None:
    acme = load_watchlist(write(tmp_path, GOOD)).brand("Acme")
    assert acme.match("I love my ACME phone") == ("Acme",)
    assert acme.match("Acmeville is a town") == ()
    assert acme.match("我买了艾克美手机") == ("艾克美",)
    assert acme.match("The Acme Anvil fell") == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD.replace('type = "feed"', 'type = "fax"'), r"mentionwatch.toml:11: brands\[0\]"
         r"\.sources\[1\]\.type: Input should be 'schemaorg', 'feed', 'reddit', .* or "
         r"'googleplay'"),
        (GOOD.replace('type = "feed"', 'type = "reddit"\ntag = "acme"'),
         r":10: brands\[0\]\.sources\[1\]: .*a reddit source needs `query` or `subreddit`"),
        (GOOD.replace('type = "feed"\nurl = "https://news.example/feed.xml"',
                      'type = "mastodon"\ninstance = "https://m.example"\ntag = "acme"\n'
                      'country = "gb"'),
         r":10: brands\[0\]\.sources\[1\]: .*`country` does not apply to a mastodon source"),
        (GOOD.replace('terms = ["Zephyr"]', 'terms = ["Zephyr"]\ncolour = "red"'),
         r":17: brands\[1\]\.colour: Extra inputs are not permitted"),
        (GOOD.replace('url = "https://news', 'url = "news'),
         r":12: .*url: Value error, must be an http or https URL, not 'no scheme'"),
        (GOOD.replace('name = "Zephyr"', 'name = "acme"'), r":1: brands: .*repeated: acme"),
        (GOOD.replace('terms = ["Zephyr"]', ""), r":14: brands\[1\]\.terms: Field required"),
        (GOOD.replace('terms = ["Zephyr"]', 'terms = ["Zephyr"]\naspects = ["suction:power"]'),
         r"brands\[1\]\.aspects: Value error, aspects must not contain ':'"),
        (GOOD.replace("[[brands]]\nname", "[[brands]\nname", 1), r"invalid TOML.*line 1"),
    ],
)
def test_bad_file_names_line_and_problem(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(WatchlistError, match=expected):
        load_watchlist(write(tmp_path, text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A bad item is one problem: not also its list being "too short".
        (GOOD.replace('type = "feed"', 'type = "fax"'), ":11: brands[0]"
         ".sources[1].type: Input should be 'schemaorg', 'feed', 'reddit', 'hackernews', "
         "'mastodon', 'appstore', 'trustpilot', 'bluesky' or 'googleplay'"),
        (GOOD.replace('terms = ["Zephyr"]', 'terms = ["Zephyr"]\ncolour = "red"'),
         ":17: brands[1].colour: Extra inputs are not permitted"),
        (GOOD.replace('terms = ["Zephyr"]', 'terms = [1]'),
         ":16: brands[1].terms[0]: Input should be a valid string"),
        ('[[brands]]\nname = "Acme"\nterms = ["Acme"]\ncolour = "red"\n',
         ":4: brands[0].colour: Extra inputs are not permitted"),
        # An empty list is the one problem.
        (GOOD.replace('terms = ["Zephyr"]', 'terms = []'), ":16: "
         "brands[1].terms: Tuple should have at least 1 item after validation, not 0"),
        # tomllib recurses once per nested array or inline table.
        (GOOD.replace('terms = ["Zephyr"]', "terms = " + "[" * 1000 + '"Zephyr"' + "]" * 1000),
         ":16: invalid TOML: arrays or inline tables nested too deeply"),
        (GOOD + "deep = " + "{a = " * 1000 + "1" + "}" * 1000 + "\n",
         ":17: invalid TOML: arrays or inline tables nested too deeply"),
        (GOOD.replace('terms = ["Zephyr"]', "terms = " + "[" * 300 + '"Zephyr"' + "]" * 300),
         ":16: brands[1].terms[0]: Input should be a valid string"),
    ],
)
def test_each_problem_is_one_error_with_its_line(tmp_path: Path, text: str,
                                                  expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(WatchlistError) as caught:
        load_watchlist(path)
    assert str(caught.value) == f"{path}{expected}"


SOURCE = """\
[[brands]]
name = "Acme"
terms = ["Acme"]

[[brands.sources]]
{keys}
"""
URL_KEYS = {
    "url": 'type = "feed"\nurl = "{}"',
    "scope": 'type = "schemaorg"\nurl = "https://shop.example/p/"\nscope = "{}"',
    "sitemap": 'type = "schemaorg"\nurl = "https://shop.example/p/"\nsitemap = "{}"',
    "instance": 'type = "mastodon"\ntag = "acme"\ninstance = "{}"',
}


@pytest.mark.parametrize("key", URL_KEYS)
@pytest.mark.parametrize(("url", "problem"), [
    ("file:///etc/passwd", "must be an http or https URL, not 'file'"),
    ("ftp://shop.example/", "must be an http or https URL, not 'ftp'"),
    ("javascript:alert(1)", "must be an http or https URL, not 'javascript'"),
    ("http:///path", "the URL has no host"),
    ("http://a..b/hook", "malformed host name 'a..b'"),
    ("http://-shop.example/", "malformed host name '-shop.example'"),
    ("https://" + "a" * 64 + ".example/", "malformed host name 'aaaa"),
    ("https://shop.example:99999/", "not a valid URL (Port out of range 0-65535)"),
    ("https://shop example/", "a URL has no spaces: escape them as %20"),
])
def test_source_urls_are_http_with_a_well_formed_host(tmp_path: Path, key: str, url: str,
                                                      problem: str) -> None:
    text = SOURCE.format(keys=URL_KEYS[key].format(url))
    line = text.splitlines().index(f'{key} = "{url}"') + 1
    path = write(tmp_path, text)
    with pytest.raises(WatchlistError) as caught:
        load_watchlist(path)
    assert str(caught.value).startswith(
        f"{path}:{line}: brands[0].sources[0].{key}: Value error, {problem}")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("url", ["https://shop.example/p/", "http://127.0.0.1:8000/feed.xml",
                                 "http://[::1]:8000/", "https://例え.jp/フィード",
                                 "https://shop.example./p?page=2#top"])
def test_good_source_urls_still_load(tmp_path: Path, url: str) -> None:
    [source] = load_watchlist(write(tmp_path, SOURCE.format(
        keys=URL_KEYS["url"].format(url)))).brands[0].sources
    assert source.url == url


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WatchlistError, match="cannot read watchlist"):
        load_watchlist(tmp_path / "nope.toml")
