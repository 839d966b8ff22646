"""`mentionwatch extract` over the hostile corpus (tests/crawlers/hostile.py): every page and
feed gives its good reviews as JSON lines, and every failure is one line naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import crawlers.extract.schemaorg
from api.cli import main
from crawlers.settings import DOWNLOAD_MAXSIZE
from index.record import Mention
from tests.crawlers.hostile import GOOD, Page, corpus

PAGES = [p for p in corpus() if p.source.startswith("schemaorg") or p.source == "feed"]


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"traceback: {result.exception!r}")
    assert "Traceback" not in result.output
    return result


@pytest.fixture(scope="module")
def watchlist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "watchlist.toml"
    path.write_text('[[brands]]\nname = "Acme"\nterms = ["Acme"]\n', encoding="utf-8")
    return path


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_hostile_file_gives_its_good_reviews(page: Page, tmp_path: Path,
                                                   watchlist: Path) -> None:
    saved = tmp_path / "page"
    saved.write_bytes(page.body)
    result = invoke("extract", str(saved), "--url", "https://shop.example/p",
                    "--watchlist", str(watchlist))
    assert result.exit_code == 0, result.stderr
    texts = [Mention.from_dict(json.loads(line)).text for line in result.stdout.splitlines()]
    assert set(GOOD) <= set(texts)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "not a url", "http://[::1", "https://"])
def test_a_url_that_is_not_http_is_refused_in_one_line(url: str, tmp_path: Path) -> None:
    saved = tmp_path / "page.html"
    saved.write_bytes(PAGES[0].body)
    result = invoke("extract", str(saved), "--url", url)
    assert result.exit_code == 2
    assert f"Invalid value for '--url': {url!r}: " in result.stderr
    assert "Traceback" not in result.stderr


def test_an_extractor_failure_is_one_line_naming_the_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> list[Mention]:
        raise OverflowError("date value out of range")

    monkeypatch.setattr(crawlers.extract.schemaorg, "extract_reviews", broken)
    saved = tmp_path / "page.html"
    saved.write_bytes(PAGES[0].body)
    result = invoke("extract", str(saved), "--url", "https://shop.example/p")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: {saved}: cannot extract mentions: OverflowError('date value out of range')"]


def test_a_file_larger_than_a_crawl_reads_is_refused_in_one_line() -> None:
    # /dev/zero took 11 GB in 15 s before: the read stops past the crawl's page limit.
    result = invoke("extract", "/dev/zero", "--url", "https://shop.example/p")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: /dev/zero: larger than {DOWNLOAD_MAXSIZE:,} bytes, "
        "the most a crawl reads of a page"]
