"""The demo site's pages and feeds hold exactly what api/demo_site/EXPECTED.md says."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from api.demo import demo_watchlist
from api.watchlist import parse_watchlist
from crawlers.extract.accounts import AccountReply
from crawlers.extract.brands import naming_all
from crawlers.extract.feed import extract_entries
from crawlers.extract.links import extract_links
from crawlers.extract.mastodon import extract_status, extract_statuses
from crawlers.extract.schemaorg import extract_reviews
from index.record import Mention
from index.watchlist import Brand

DEMO = Path(__file__).resolve().parents[2] / "api" / "demo_site"
SITE = "http://127.0.0.1:8000/"
BRANDS = (Brand(name="Acme", terms=("Acme", "艾克美")), Brand(name="Zephyr", terms=("Zephyr",)))


def _when(m: Mention) -> str:
    return m.published_at.strftime("%Y-%m-%d %H:%M") if m.published_at else ""


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)


def _review_row(page: str, m: Mention) -> list[str]:
    rating = f"{_number(m.rating.value)}/{_number(m.rating.best)}" if m.rating else ""
    return [page, m.author.name, rating, m.lang or "", _when(m), m.title or ""]


def _brand_of(page: str) -> Brand:
    """The watched brand whose crawl reaches the page (api/demo.py's watchlist)."""
    return BRANDS[1] if "zephyr" in page else BRANDS[0]


def _product_reviews() -> list[tuple[str, Mention]]:
    """Each product page's reviews, read as the crawl reads them (with the watched names)."""
    pages = [path.relative_to(DEMO).as_posix() for path in (DEMO / "products").glob("*.html")]
    return [(page, m) for page in sorted(pages)
            for m in extract_reviews((DEMO / page).read_bytes(), SITE + page,
                                     brand_names=_brand_of(page).terms)]


def test_every_product_page_holds_the_expected_reviews(
    demo_expected: Callable[[str], list[list[str]]],
) -> None:
    reviews = _product_reviews()
    found = [_review_row(page, m) for page, m in reviews]
    # columns: page, author, rating, lang, published, tone, title (tone is not extracted)
    expected = [[*row[:5], row[6]] for row in demo_expected("| page | author |")]
    assert sorted(found) == sorted(expected)
    [[*_, total]] = [row for row in demo_expected("| brand | en |") if row[0] == "all"]
    assert len(found) == int(total) == 39
    assert all(m.rating and m.rating.worst == 1 for _, m in reviews)


def test_the_brands_replies_are_on_the_expected_reviews(
    demo_expected: Callable[[str], list[list[str]]],
) -> None:
    reviews = _product_reviews()
    found = [[page, m.author.name, f"{_number(m.rating.value)}/{_number(m.rating.best)}",
              reply.author, reply.published_at.strftime("%Y-%m-%d %H:%M")
              if reply.published_at else ""]
             for page, m in reviews if m.rating for reply in m.brand_replies]
    assert sorted(found) == sorted(row[:5] for row in demo_expected("| page | reviewer |"))
    unanswered = {brand.name: sorted(m.author.name for page, m in reviews
                                     if _brand_of(page) == brand and not m.brand_replies
                                     and m.rating and m.rating.value / m.rating.best < 0.5)
                  for brand in BRANDS}
    assert unanswered == {"Acme": sorted(["Daniel Okafor", "Ahmed Karim", "吳佩珊",
                                          "Chloé Martin", "刘洋"]),
                          "Zephyr": ["建宏"]}


def test_private_page_has_reviews_but_robots_forbid_it() -> None:
    robots = RobotFileParser()
    robots.parse((DEMO / "robots.txt").read_text().splitlines())
    private = "private/acme-phone-x2-prototype.html"
    assert not robots.can_fetch("mentionwatch", SITE + private)
    assert all(robots.can_fetch("mentionwatch", SITE + p) for p in
               ("", "index.html", "products/acme-phone-x.html", "news/feed.xml"))
    assert len(list(extract_reviews((DEMO / private).read_bytes(), SITE + private))) == 3
    index = extract_links((DEMO / "index.html").read_bytes(), SITE + "index.html")
    assert SITE + private in index.links  # linked, so only robots.txt keeps a crawler out


def test_pagination_reaches_every_page_once() -> None:
    url: str | None = SITE + "products/acme-phone-x.html"
    seen = []
    while url:
        seen.append(url)
        url = extract_links((DEMO / urlsplit(url).path.lstrip("/")).read_bytes(), url).next_url
    assert seen == [SITE + f"products/acme-phone-x{suffix}.html" for suffix in ("", "-p2", "-p3")]


def test_every_link_is_relative_and_leads_to_a_file() -> None:
    for path in DEMO.rglob("*.html"):
        page = path.relative_to(DEMO).as_posix()
        for link in extract_links(path.read_bytes(), SITE + page).links:
            assert link.startswith(SITE), (page, link)
            assert (DEMO / urlsplit(link).path.lstrip("/")).is_file(), (page, link)


def test_feeds_hold_the_expected_entries(demo_expected: Callable[[str], list[list[str]]]) -> None:
    found = []
    for feed in ("news/feed.xml", "news/atom.xml"):
        for m in extract_entries((DEMO / feed).read_bytes(), SITE + feed, BRANDS):
            found.append([feed, m.title or "", m.brand or "", ", ".join(m.matched_terms),
                          m.author.name, m.lang or "", _when(m)])
    # columns: feed, title, brand, matched terms, author, lang, published, tone
    assert found == [row[:7] for row in demo_expected("| feed | title |")]


def test_the_mastodon_api_holds_the_expected_posts_and_the_brand_accounts_replies(
    demo_expected: Callable[[str], list[list[str]]],
) -> None:
    watched = parse_watchlist(demo_watchlist(SITE), "demo").brands
    acme = watched[0]
    api = DEMO / "mastodon"

    def read(path: str) -> list[Mention | AccountReply]:
        return list(extract_statuses((api / path).read_bytes(), SITE + path, acme))

    posts = [naming_all(m, watched) for m in read("timelines/tag/acme.json")
             if isinstance(m, Mention)]
    # The account's two replies, and its announcement, which the crawl drops: it reads an
    # account's statuses for their replies only.
    own = read("accounts/109311000000000001/statuses.json")
    replies = [r for r in own if isinstance(r, AccountReply)]
    assert len(own) == 3 and len(replies) == 2
    # A reply names its parent by the server's local id: the parent's status says its uri.
    answered = {}
    for reply in replies:
        [parent] = extract_status((api / f"statuses/{reply.parent}.json").read_bytes(),
                                  SITE, acme)
        answered[parent.id] = reply
    found = []
    for m in posts:
        reply = answered.get(m.id)
        found.append([m.author.name, m.author.handle or "", m.lang or "", _when(m),
                      ", ".join(m.brands), reply.reply.author if reply else "",
                      reply.published_at.strftime("%Y-%m-%d %H:%M")
                      if reply and reply.published_at else ""])
    # columns: author, handle, lang, published, brands, tone, reply by, replied, after
    expected = [[*row[:5], *row[6:8]] for row in demo_expected("| author | handle |")]
    assert sorted(found) == sorted(expected)
    assert set(answered) <= {m.id for m in posts} and all(m.kind == "post" for m in posts)
