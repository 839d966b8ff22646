from __future__ import annotations

from pathlib import Path

import pytest

from index.watchlist import WatchlistError, load_watchlist

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
        (GOOD.replace('url = "https://news', 'url = "news'), r":12: .*url: String should match"),
        (GOOD.replace('name = "Zephyr"', 'name = "acme"'), r":1: brands: .*repeated: acme"),
        (GOOD.replace('terms = ["Zephyr"]', ""), r":14: brands\[1\]\.terms: Field required"),
        (GOOD.replace("[[brands]]\nname", "[[brands]\nname", 1), r"invalid TOML.*line 1"),
    ],
)
def test_bad_file_names_line_and_problem(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(WatchlistError, match=expected):
        load_watchlist(write(tmp_path, text))


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WatchlistError, match="cannot read watchlist"):
        load_watchlist(tmp_path / "nope.toml")
