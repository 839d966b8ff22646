from __future__ import annotations

import pickle
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import pytest
from pydantic import Field

from api.demo import demo_watchlist
from api.watchlist import load_watchlist, parse_watchlist
from crawlers.sources import Source
from crawlers.spiders.feed import FeedSource
from index.watchlist import (
    TAG,
    Brand,
    HttpURL,
    SourceOptions,
    Watchlist,
    WatchlistError,
    validate_toml,
)

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
         r"'ai_answers'"),
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
         "'mastodon', 'appstore', 'trustpilot', 'bluesky', 'googleplay' or 'ai_answers'"),
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


ALL_TYPES = """\
[[brands]]
name = "Acme"
terms = ["Acme"]

[[brands.sources]]
type = "schemaorg"
url = "https://shop.example/p/acme.html"
scope = "https://shop.example/"
sitemap = "https://shop.example/robots.txt"

[[brands.sources]]
type = "feed"
url = "https://news.example/feed.xml"

[[brands.sources]]
type = "reddit"
subreddit = "gadgets"
query = "acme phone"
url = "https://reddit.mirror.example"

[[brands.sources]]
type = "hackernews"
query = "acme"

[[brands.sources]]
type = "mastodon"
instance = "https://mastodon.example"
tag = "acme"

[[brands.sources]]
type = "appstore"
app_id = "123456"
country = "gb"

[[brands.sources]]
type = "trustpilot"
company = "acme.example"

[[brands.sources]]
type = "bluesky"
query = "acme"
identifier_env = "BSKY_HANDLE"
password_env = "BSKY_PASSWORD"

[[brands.sources]]
type = "bluesky"
actor = "acme.bsky.social"

[[brands.sources]]
type = "googleplay"
app_id = "com.acme.app"
country = "de"
lang = "de"

[[brands.sources]]
type = "ai_answers"
prompts = ["best wireless earbuds?", "哪款耳机最好？"]
competitors = ["Zephyr"]
engines = [{base_url = "https://api.openai.example/v1", model = "gpt-x", api_key_env = "KEY"}]
"""


def test_every_source_keeps_its_crawl_state_key() -> None:
    # A crawl resumes by these keys: they are what the flat model of before made of them.
    sources = parse_watchlist(ALL_TYPES).brands[0].sources
    assert [s.key for s in sources] == [
        "schemaorg https://shop.example/p/acme.html", "feed https://news.example/feed.xml",
        "reddit https://reddit.mirror.example r/gadgets q=acme phone", "hackernews q=acme",
        "mastodon https://mastodon.example #acme", "appstore 123456 gb",
        "trustpilot acme.example", "bluesky q=acme", "bluesky acme.bsky.social",
        "googleplay com.acme.app de",
        "ai_answers api.openai.example:gpt-x prompts=1bb6bea9f161"]


def test_a_loaded_brand_and_its_sources_survive_pickle() -> None:
    # The crawl's frontier (crawlers/resume.py) pickles each request with its brand and source.
    brand = parse_watchlist(ALL_TYPES).brands[0]
    assert pickle.loads(pickle.dumps(brand)) == brand


def test_every_source_type_is_declared_beside_its_spider() -> None:
    members = get_args(get_args(Source)[0])
    tags = [get_args(m.model_fields["type"].annotation)[0] for m in members]
    assert len(set(tags)) == len(tags) == 10
    for options, tag in zip(members, tags, strict=True):
        assert options.__module__ == options.spider.__module__ == f"crawlers.spiders.{tag}"
        assert options.spider.name == tag


def test_the_readme_and_demo_watchlists_load() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", readme, re.DOTALL)
    watchlist = parse_watchlist("\n".join(b for b in blocks if "[[brands]]" in b
                                          or "[[alerts]]" in b), "README.md")
    assert [s.type for s in watchlist.brands[0].sources] == ["schemaorg", "feed", "bluesky"]
    assert [rule.type for rule in watchlist.alerts] == ["negative_spike"]
    assert parse_watchlist(demo_watchlist("http://127.0.0.1:8000/"), "demo").brands


class PodcastSource(SourceOptions):
    """A source type declared the way docs/SOURCE_TYPES.md tells."""

    type: Literal["podcast"]
    needs_one_of = ("show", "episode")
    show: str | None = None
    episode: str | None = None
    url: HttpURL | None = None

    def key_parts(self) -> Iterable[str | None]:
        return (self.url, self.show, self.episode)


class WithPodcasts(Watchlist[Brand[Annotated[FeedSource | PodcastSource,
                                             Field(discriminator=TAG)]], Any]):
    pass


@pytest.mark.parametrize(("sources", "problem"), [
    ('type = "podcast"\nshow = "acme-hour"\n', None),
    ('type = "podcast"\nurl = "https://pods.example/"\n',
     ":4: brands[0].sources[0]: Value error, a podcast source needs `show` or `episode`"),
    ('type = "podcast"\nshow = "acme-hour"\ntag = "x"\n',
     ":4: brands[0].sources[0]: Value error, `tag` does not apply to a podcast source"),
    ('type = "podcast"\nshow = "acme-hour"\nurl = "ftp://pods.example/"\n',
     ":7: brands[0].sources[0].url: Value error, must be an http or https URL, not 'ftp'"),
    ('type = "pod"\n', ":5: brands[0].sources[0].type: Input should be 'feed' or 'podcast'"),
    ('url = "https://pods.example/"\n', ":4: brands[0].sources[0].type: Field required"),
])
def test_a_new_source_type_is_one_options_class_and_its_registration(
        sources: str, problem: str | None) -> None:
    text = f'[[brands]]\nname = "Acme"\nterms = ["Acme"]\n[[brands.sources]]\n{sources}'
    if problem is None:
        [source] = validate_toml(text, WithPodcasts).brands[0].sources
        assert source.key == "podcast acme-hour"
        return
    with pytest.raises(WatchlistError) as caught:
        validate_toml(text, WithPodcasts)
    assert str(caught.value) == f"watchlist{problem}"


ACCOUNTS = """\
[[brands]]
name = "Acme"
terms = ["Acme"]

[[brands]]
name = "Zephyr"
terms = ["Zephyr"]

[brands.accounts]
{keys}
"""


def test_brand_accounts_compare_without_case_at_or_u_slash(tmp_path: Path) -> None:
    keys = ('reddit = ["AcmeSupport"]\nhackernews = ["zephyr_hq"]\n'
            'mastodon = ["@zephyr@mastodon.social"]\nbluesky = ["zephyr.bsky.social"]')
    wl = load_watchlist(write(tmp_path, ACCOUNTS.format(keys=keys)))
    accounts = wl.brand("Zephyr").accounts
    assert accounts.owns("reddit", "acmesupport") and accounts.owns("reddit", "u/AcmeSupport")
    assert accounts.owns("hackernews", "Zephyr_HQ")
    assert accounts.owns("mastodon", "Zephyr@Mastodon.Social")
    assert accounts.owns("bluesky", "@zephyr.bsky.social")
    # Another network's account, another server's user, or someone else is not the brand.
    assert not accounts.owns("hackernews", "AcmeSupport")
    assert not accounts.owns("mastodon", "zephyr@other.example")
    assert not accounts.owns("reddit", "AcmeSupportFan") and not accounts.owns("reddit", None)
    assert not wl.brand("Acme").accounts.owns("reddit", "AcmeSupport")


@pytest.mark.parametrize(("keys", "expected"), [
    ('twitter = ["acme"]', ":9: brands[1].accounts: Value error, `twitter`: accounts can be "
     "on reddit, hackernews, mastodon, bluesky"),
    ('mastodon = ["zephyr"]', ":10: brands[1].accounts.mastodon: Value error, 'zephyr' is not "
     "a mastodon account: expected @user@server, such as @acme@mastodon.social"),
    ('reddit = ["Zephyr Support"]', ":10: brands[1].accounts.reddit: Value error, 'Zephyr "
     "Support' is not a reddit account: expected a username such as AcmeSupport"),
    ('bluesky = ["zephyr"]', ":10: brands[1].accounts.bluesky: Value error, 'zephyr' is not a "
     "bluesky account: expected a handle such as acme.bsky.social, or a DID"),
    ('reddit = "ZephyrSupport"', ":10: brands[1].accounts.reddit: Input should be a valid "
     "tuple"),
])
def test_bad_accounts_name_the_brand_network_and_line(tmp_path: Path, keys: str,
                                                      expected: str) -> None:
    path = write(tmp_path, ACCOUNTS.format(keys=keys))
    with pytest.raises(WatchlistError) as caught:
        load_watchlist(path)
    assert str(caught.value) == f"{path}{expected}"
