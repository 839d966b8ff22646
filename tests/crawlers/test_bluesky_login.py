"""Bluesky search needs an account: the watchlist names the environment variables holding
its login, and a crawl refuses to start without them."""

from __future__ import annotations

import pytest

from api.watchlist import parse_watchlist
from crawlers.run import run_crawl
from crawlers.spiders.bluesky import MissingCredentials
from index.watchlist import WatchlistError

BRAND = '[[brands]]\nname = "Acme"\nterms = ["Acme"]\n[[brands.sources]]\ntype = "bluesky"\n'
SEARCH = ('query = "Acme"\nidentifier_env = "ACME_BSKY_HANDLE"\n'
          'password_env = "ACME_BSKY_PASSWORD"\n')


def test_a_search_source_names_its_login_variables() -> None:
    source = parse_watchlist(BRAND + SEARCH).brands[0].sources[0]
    assert (source.query, source.identifier_env, source.password_env) == (
        "Acme", "ACME_BSKY_HANDLE", "ACME_BSKY_PASSWORD")


@pytest.mark.parametrize(("keys", "problem"), [
    ('query = "Acme"\n', "watchlist:4: brands[0].sources[0]: Value error, a bluesky source "
                         "with `query` needs `identifier_env` and `password_env`"),
    ('actor = "ann.bsky.social"\n' + SEARCH, "takes `actor` or `query`, not both"),
    ('actor = "ann.bsky.social"\npassword_env = "P"\n',
     "`identifier_env`, `password_env` apply to a bluesky `query` source only"),
    ('', "a bluesky source needs `actor` or `query`"),
    (SEARCH + 'tag = "acme"\n', "`tag` does not apply to a bluesky source"),
    ('query = "Acme"\nidentifier_env = "ACME_BSKY_HANDLE"\npassword_env = "hunter 2"\n',
     "password_env: String should match pattern"),
])
def test_bad_bluesky_sources_say_what_is_wrong(keys: str, problem: str) -> None:
    with pytest.raises(WatchlistError) as error:
        parse_watchlist(BRAND + keys)
    assert problem in str(error.value)


def test_a_crawl_without_the_login_in_the_environment_fails_before_any_request(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_BSKY_HANDLE", "acme-watch.bsky.social")
    monkeypatch.delenv("ACME_BSKY_PASSWORD", raising=False)
    watchlist = parse_watchlist(BRAND + 'url = "http://127.0.0.1:9"\n' + SEARCH)
    with pytest.raises(MissingCredentials, match=(
            "bluesky search 'Acme': environment variable ACME_BSKY_PASSWORD "
            r"\(password_env\) is not set")):
        run_crawl(watchlist)  # raises before Scrapy starts: nothing is sent to port 9
