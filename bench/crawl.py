"""`mentionwatch bench crawl`: the schema.org spider and every crawl pipeline but sentiment
on a generated site of product review pages served on loopback, beside `scrapy bench`
measured in the same run.

    >>> result = run_bench(pages=2000)   # doctest: +SKIP
    >>> result["mentions"] == result["checks"]["expected_mentions"]
    True

The site is the same for the same number of pages. Index pages list 50 products each
and link to the next; each product page holds 2 to 6 reviews (about 4) and links to two
other products. Like real pages, they vary: 1 in 5 marks its reviews up as microdata, 1 in 5
marks the first one up twice (JSON-LD and microdata), 1 in 4 rates on 10 points without
`bestRating` (inferred from the page), 1 in 3 authors is a bare string, 1 in 10 pages is
Simplified and 1 in 10 Traditional Chinese, 3 in 10 do not declare their language (it is
detected), dates come as ISO 8601 or written out ("Oct 5, 2026", "2026年10月5日"), 1 page
in 7 repeats a review of the page before (the dedupe pipeline drops it), 1 in 9 has a
review without text, and 1 in 100 a broken JSON-LD block (counted as unreadable).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawlers.extract.language import detect_lang
from crawlers.run import run_crawl
from crawlers.spiders.schemaorg import SchemaOrgSource
from index.sqlite import SqliteStore
from index.stores import ELASTICSEARCH_URL
from index.watchlist import Brand, Watchlist

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

__all__ = ["BENCH_SETTINGS", "Site", "generate_site", "run_bench", "scrapy_bench"]

BRAND = "Acme"
PER_INDEX = 50  # products listed on an index page
#: What the bench changes from crawlers/settings.py, all for a loopback site of its own.
BENCH_SETTINGS: dict[str, Any] = {
    # Politeness protects other people's servers; this one is ours, on 127.0.0.1.
    "ROBOTSTXT_OBEY": False,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,  # Scrapy's defaults, as `scrapy bench` runs with
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "MENTIONWATCH_ALLOW_LOOPBACK": True,
    # The transformer is measured by `bench sentiment`; here it would be the whole figure.
    "MENTIONWATCH_SENTIMENT_ENABLED": False,
    "LOG_LEVEL": "ERROR",
}
_SCRAPY_BENCH_TIMEOUT = 180.0  # seconds; it crawls for 10

_EN_OPENERS = ("I have used the {p} for three weeks now.", "Bought the {p} for my daughter.",
               "Upgraded from an older model to the {p}.", "The {p} arrived two days early.",
               "Second {p} in our house.")
_EN_BODY = ("The battery easily lasts a full day of heavy use.",
            "The screen is bright enough to read outside in the sun.",
            "Setup took less than ten minutes and the app is simple.",
            "Customer support answered my question within an hour.",
            "The camera struggles a little in low light.",
            "It charges from empty to full in about forty minutes.",
            "The case feels solid and it survived a drop on the kitchen floor.",
            "Sound quality is clear on calls, even on a busy street.",
            "The price is fair for what you get.",
            "An update last week fixed the bluetooth dropouts I had.")
_EN_CLOSERS = ("I would recommend it to anyone.", "Worth the money.",
               "Not perfect, but I would buy it again.", "Returning it, sadly.",
               "My friends want one now.")
_HANS = ("这款{p}的电池很耐用，一天下来还有电。", "屏幕很清楚，阳光下也看得见。",
         "客服回复很快，态度也好。", "快递两天就到了，包装完好。", "拍照效果一般，晚上有点糊。",
         "充电速度很快，四十分钟充满。", "价格合理，性价比高。", "强烈推荐给身边的朋友。")
_HANT = ("這款{p}的電池很耐用，一天下來還有電。", "螢幕很清楚，陽光下也看得見。",
         "客服回覆很快，態度也好。", "物流兩天就到了，包裝完好。", "拍照效果一般，晚上有點糊。",
         "充電速度很快，四十分鐘充滿。", "價格合理，性價比高。", "推薦給身邊的朋友。")
_TITLES = {"en": ("Great value", "Solid choice", "Mixed feelings", "Does the job", "Love it"),
           "zh-Hans": ("很满意", "还不错", "一般般", "值得买"),
           "zh-Hant": ("很滿意", "還不錯", "普普通通", "值得買")}
_NAMES = ("Maya Chen", "Tom Becker", "Ana Souza", "Li Wei", "Sam O'Neil", "Priya Nair",
          "陈晓明", "王芳", "林怡君", "Jonas Berg")
_PRODUCTS = ("Phone", "Buds", "Watch", "Tablet", "Speaker", "Charger", "Router", "Camera")
_LANG_ATTR = {"en": "en", "zh-Hans": "zh-CN", "zh-Hant": "zh-TW"}
_WRITTEN_MONTH = "Oct"


@dataclass(frozen=True, slots=True)
class Site:
    """A generated site and what a correct crawl of it must find."""

    files: dict[str, bytes]  # URL path -> page
    start: str  # path of the first index page
    product_pages: int
    index_pages: int
    mentions: int  # distinct reviews with text: what ends up in the index
    duplicates: int  # copies of another page's review, dropped by the dedupe pipeline
    unreadable: int  # broken JSON-LD blocks, counted and skipped
    langs: dict[str, int]  # mentions by language
    scales: dict[str, int]  # mentions by rating scale ("5", "10")


def _product_path(i: int) -> str:
    return f"/products/p{i:05d}.html"


def _index_path(k: int) -> str:
    return f"/index/{k}.html"


def _lang_of(i: int) -> str:
    return {3: "zh-Hans", 7: "zh-Hant"}.get(i % 10, "en")


def _declared(i: int) -> bool:
    """Whether page `i` declares its language: 3 pages in 10 leave it to detection."""
    return i % 10 not in (1, 5) and i % 20 not in (13, 17)


def _text(rng: random.Random, lang: str, product: str) -> str:
    if lang == "en":
        body = rng.sample(_EN_BODY, 3)
        return " ".join([rng.choice(_EN_OPENERS).format(p=product), *body,
                         rng.choice(_EN_CLOSERS)])
    sentences = _HANS if lang == "zh-Hans" else _HANT
    return sentences[0].format(p=product) + "".join(rng.sample(sentences[1:], 3))


def _date(i: int, j: int, lang: str) -> str:
    day = 1 + (i + j) % 28
    return (f"2026-10-{day:02d}T09:30:00+02:00", f"2026-10-{day:02d}",
            f"2026年10月{day}日" if lang != "en" else f"{_WRITTEN_MONTH} {day}, 2026")[j % 3]


def _reviews(i: int) -> list[dict[str, Any]]:
    """Page `i`'s reviews as JSON-LD nodes; `_bare` ones carry no text (not mentions)."""
    lang, ten = _lang_of(i), i % 4 == 1
    product = f"{BRAND} {_PRODUCTS[i % len(_PRODUCTS)]} {i}"
    rng = random.Random(i)
    reviews = []
    for j in range(2 + i % 5):
        # On a 10-point page the first review's 9 or 10 tells the scale; the others may be low.
        value = (9 + j % 2 if j == 0 else 2 + (i + j) % 9) if ten else 1 + (i + j) % 5
        rating: dict[str, Any] = {"@type": "Rating", "ratingValue": str(value)}
        if not ten:
            rating["bestRating"] = "5"
        name = _NAMES[(i + j) % len(_NAMES)]
        review = {
            "@type": "Review",
            "@id": f"{_product_path(i)}#review-{j}",
            "url": _product_path(i),
            "name": rng.choice(_TITLES[lang]),
            "author": name if (i + j) % 3 == 0 else {"@type": "Person", "name": name},
            "datePublished": _date(i, j, lang),
            "reviewRating": rating,
            "reviewBody": _text(rng, lang, product),
        }
        reviews.append(review)
    if i % 9 == 0:
        reviews.append({"@type": "Review", "@id": f"{_product_path(i)}#rating-only",
                        "author": "anonymous", "reviewRating": {"@type": "Rating",
                                                                "ratingValue": "4",
                                                                "bestRating": "5"}})
    return reviews


def _duplicate(i: int) -> dict[str, Any]:
    """Page `i - 1`'s first review as page `i` repeats it: stating its own scale and
    language, so whichever copy is crawled first gives the same mention."""
    review = dict(_reviews(i - 1)[0])
    rating = dict(review["reviewRating"])
    rating["bestRating"] = "10" if (i - 1) % 4 == 1 else "5"
    review["reviewRating"] = rating
    review["inLanguage"] = _lang_of(i - 1)
    return review


def _microdata(review: dict[str, Any]) -> str:
    author = review["author"]
    author_html = (f'<span itemprop="author">{escape(author)}</span>' if isinstance(author, str)
                   else '<span itemprop="author" itemscope itemtype="https://schema.org/Person">'
                   f'<span itemprop="name">{escape(author["name"])}</span></span>')
    rating = review["reviewRating"]
    best = (f'<meta itemprop="bestRating" content="{rating["bestRating"]}">'
            if "bestRating" in rating else "")
    return (
        f'<div itemprop="review" itemscope itemtype="https://schema.org/Review" '
        f'itemid="{review["@id"]}"><link itemprop="url" href="{review["url"]}">'
        f'<h3 itemprop="name">{escape(review["name"])}</h3>{author_html}'
        f'<meta itemprop="datePublished" content="{escape(review["datePublished"])}">'
        '<div itemprop="reviewRating" itemscope itemtype="https://schema.org/Rating">'
        f'<meta itemprop="ratingValue" content="{rating["ratingValue"]}">{best}</div>'
        f'<p itemprop="reviewBody">{escape(review["reviewBody"])}</p></div>'
    )


def _visible(review: dict[str, Any]) -> str:
    """A review as the page shows it to people, without markup."""
    author = review["author"]
    name = author if isinstance(author, str) else author["name"]
    return (f'<article class="review"><h3>{escape(review.get("name", ""))}</h3>'
            f'<p class="by">{escape(name)}, {escape(review.get("datePublished", ""))}</p>'
            f'<p>{escape(review.get("reviewBody", ""))}</p></article>')


def _jsonld(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>'


def _page(title: str, lang: str | None, head: str, body: str) -> bytes:
    lang_attr = f' lang="{lang}"' if lang else ""
    return (f'<!doctype html><html{lang_attr}><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title>{head}</head><body>"
            f'<nav><a href="{_index_path(1)}">All products</a></nav>{body}'
            "<footer><p>Acme Store, 1 Example Road</p></footer></body></html>").encode()


def _product_page(i: int, pages: int) -> tuple[bytes, list[dict[str, Any]], int]:
    """Page `i`, the reviews a crawl must take from it, and its broken blocks."""
    lang = _lang_of(i)
    product = f"{BRAND} {_PRODUCTS[i % len(_PRODUCTS)]} {i}"
    reviews = _reviews(i)
    found = [r for r in reviews if "reviewBody" in r]
    ten = i % 4 == 1
    aggregate: dict[str, Any] = {"@type": "AggregateRating", "reviewCount": len(reviews),
                                 "ratingValue": "7.8" if ten else "4.1"}
    if not ten:
        aggregate["bestRating"] = "5"
    microdata = i % 5 == 4
    jsonld_reviews = [] if microdata else list(reviews)
    if i % 7 == 6:
        jsonld_reviews.append(_duplicate(i))
    head = _jsonld({"@context": "https://schema.org", "@type": "Product", "name": product,
                    "sku": f"AC-{i:05d}", "brand": {"@type": "Brand", "name": BRAND},
                    "aggregateRating": aggregate, "review": jsonld_reviews})
    broken = int(i % 100 == 50)
    if broken:
        head += '<script type="application/ld+json">{"@type": "Offer", "price": </script>'
    marked = reviews if microdata else reviews[:1] if i % 5 == 2 else []
    body = (
        f"<h1>{escape(product)}</h1><p>Our best {escape(product)} yet.</p>"
        + (f'<section itemscope itemtype="https://schema.org/Product">'
           f'<meta itemprop="name" content="{escape(product)}">'
           + "".join(_microdata(r) for r in marked if "reviewBody" in r) + "</section>"
           if marked else "")
        + "".join(_visible(r) for r in found)
        + '<ul class="related">'
        + "".join(f'<li><a href="{_product_path((i + step) % pages)}">More from {BRAND}</a></li>'
                  for step in (1, 7))
        + f'</ul><p><a href="{_index_path(1 + i // PER_INDEX)}">Back to the list</a></p>'
    )
    page = _page(f"{product} reviews", _LANG_ATTR[lang] if _declared(i) else None, head, body)
    return page, found, broken


def _index_page(k: int, pages: int, last: int) -> bytes:
    first = (k - 1) * PER_INDEX
    items = "".join(f'<li><a href="{_product_path(i)}">{BRAND} {_PRODUCTS[i % 8]} {i}</a></li>'
                    for i in range(first, min(first + PER_INDEX, pages)))
    pager = "".join(f'<a href="{_index_path(n)}">{n}</a> ' for n in range(1, last + 1)
                    if abs(n - k) <= 3)
    nxt = f'<a rel="next" href="{_index_path(k + 1)}">Next</a>' if k < last else ""
    return _page(f"{BRAND} products, page {k}", "en", "",
                 f"<h1>Products</h1><ul>{items}</ul><p>{pager}{nxt}</p>")


def generate_site(pages: int) -> Site:
    """`pages` product pages and their index pages; the same for the same `pages`."""
    if pages < 1:
        raise ValueError(f"pages must be >= 1, got {pages}")
    files: dict[str, bytes] = {}
    langs: Counter[str] = Counter()
    scales: Counter[str] = Counter()
    mentions = duplicates = unreadable = 0
    for i in range(pages):
        page, found, broken = _product_page(i, pages)
        files[_product_path(i)] = page
        mentions += len(found)
        langs[_lang_of(i)] += len(found)
        scales["10" if i % 4 == 1 else "5"] += len(found)
        duplicates += i % 7 == 6
        unreadable += broken
    last = -(-pages // PER_INDEX)
    for k in range(1, last + 1):
        files[_index_path(k)] = _index_page(k, pages, last)
    return Site(files, _index_path(1), pages, last, mentions, duplicates, unreadable,
                dict(sorted(langs.items())), dict(sorted(scales.items())))


# --- serving ------------------------------------------------------------------------------


def _handler(files: dict[str, bytes]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as Scrapy's own bench server allows
        # Headers and body go out in two writes; with Nagle's algorithm the body waited for
        # the crawler's delayed ACK, and the crawler sat idle a third of the time.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            body = files.get(self.path.partition("?")[0])
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def _serve(files: dict[str, bytes], conn: Connection) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(files))
    conn.send(server.server_address[1])
    server.serve_forever()


class _SiteServer:
    """The site on 127.0.0.1 in a child process, as `scrapy bench` serves its own, so
    serving it costs the crawler no CPU time (and no GIL)."""

    def __init__(self, files: dict[str, bytes]) -> None:
        parent, child = multiprocessing.Pipe()
        self._conn = parent
        self.process = multiprocessing.Process(target=_serve, args=(files, child), daemon=True)

    def __enter__(self) -> str:
        self.process.start()
        if not self._conn.poll(60):
            self.__exit__()
            raise RuntimeError("the bench site's server did not start within 60 s")
        return f"http://127.0.0.1:{self._conn.recv()}"

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.join()


# --- measuring ----------------------------------------------------------------------------


def scrapy_bench(timeout: float = _SCRAPY_BENCH_TIMEOUT) -> dict[str, float]:
    """`scrapy bench` as shipped (its own loopback server, 10 s of link following, default
    settings), run outside any project; its pages/min from the stats it prints."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    start_cpu = _children_cpu()
    with tempfile.TemporaryDirectory() as outside_project:
        try:
            done = subprocess.run([sys.executable, "-m", "scrapy", "bench"], cwd=outside_project,
                                  env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"scrapy bench did not finish within {timeout:g} s") from exc
    log = done.stderr + done.stdout
    count = re.search(r"'response_received_count': (\d+)", log)
    elapsed = re.search(r"'elapsed_time_seconds': ([\d.]+)", log)
    if done.returncode or not count or not elapsed:
        tail = "\n".join(log.strip().splitlines()[-5:])
        raise RuntimeError(f"scrapy bench failed (exit {done.returncode}); it said:\n{tail}")
    pages, seconds = int(count[1]), float(elapsed[1])
    cpu = _children_cpu() - start_cpu
    return {"pages": pages, "seconds": round(seconds, 2),
            "pages_per_min": round(pages / seconds * 60),
            # Crawler and server, their start-up included: on a loaded machine the
            # wall-clock figure swings, CPU per page much less.
            "cpu_ms_per_page": round(cpu * 1000 / max(pages, 1), 2)}


def _children_cpu() -> float:
    """CPU seconds of this process's finished (waited-for) child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _load_language_model() -> float:
    """Seconds to load the language detector's model, which the first page without a
    declared language would otherwise pay in the middle of the timed crawl (once per
    process: a long crawl never notices it)."""
    start = time.perf_counter()
    detect_lang("a sentence in no declared language")
    return time.perf_counter() - start


def _crawl(site: Site, db: Path, settings: dict[str, Any]) -> dict[str, Any]:
    """Crawl the site with the real spider and pipelines; its stats plus the CPU seconds
    of the crawl and of the site's server."""
    start_server_cpu = _children_cpu()
    with _SiteServer(site.files) as root:
        source = SchemaOrgSource(type="schemaorg", url=root + site.start, scope=root + "/")
        watchlist = Watchlist(brands=(Brand(name=BRAND, terms=(BRAND, "艾克美"),
                                            sources=(source,)),))
        # The index pipeline writes to $ELASTICSEARCH_URL when it is set; this bench
        # measures the embedded SQLite store.
        elastic = os.environ.pop(ELASTICSEARCH_URL, None)
        start_cpu = time.process_time()
        try:
            stats = run_crawl(watchlist, {**settings, "MENTIONWATCH_DB": str(db)})
        finally:
            if elastic is not None:
                os.environ[ELASTICSEARCH_URL] = elastic
        cpu = time.process_time() - start_cpu
    return {**stats["schemaorg"], "cpu_seconds": cpu,
            "server_cpu_seconds": _children_cpu() - start_server_cpu}


def _indexed(db: Path) -> dict[str, Any]:
    """What the index holds after the crawl: counts by language and rating scale."""
    langs: Counter[str] = Counter()
    scales: Counter[str] = Counter()
    with SqliteStore(db) as store:
        for mention in store.export():
            langs[mention.lang or "none"] += 1
            scales[f"{mention.rating.best:g}" if mention.rating else "none"] += 1
    return {"mentions": sum(langs.values()), "langs": dict(sorted(langs.items())),
            "scales": dict(sorted(scales.items()))}


def run_bench(pages: int = 2000, *, with_scrapy_bench: bool = True,
              inbox: bool = True) -> dict[str, Any]:
    """Generate a site of `pages` product pages, crawl it into a temporary SQLite index,
    check what was indexed against what the site holds; `scrapy bench` runs before and
    after it. `inbox` False leaves out the inbox triage of what the crawl writes.

    Runs a Twisted reactor, which cannot be restarted: call it at most once per process.
    """
    if pages < 1:
        raise ValueError(f"pages must be >= 1, got {pages}")
    site = generate_site(pages)
    settings = {**BENCH_SETTINGS, "MENTIONWATCH_INBOX_ENABLED": inbox}
    # `scrapy bench` before and after the crawl: on a shared machine the load moves, and
    # their mean is what the crawl is compared with.
    before = scrapy_bench() if with_scrapy_bench else None
    model_load = _load_language_model()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        stats = _crawl(site, db, settings)
        indexed = _indexed(db)
    crawled = int(stats.get("response_received_count", 0))
    seconds = float(stats["elapsed_time_seconds"])
    ours = round(crawled / seconds * 60)
    runs = [before, scrapy_bench()] if before else []
    theirs = round(sum(r["pages_per_min"] for r in runs) / len(runs)) if runs else None
    return {
        "pages": crawled,
        "product_pages": site.product_pages,
        "index_pages": site.index_pages,
        "mean_page_kib": round(sum(map(len, site.files.values())) / len(site.files) / 1024, 1),
        "seconds": round(seconds, 2),
        "pages_per_min": ours,
        "mentions": indexed["mentions"],
        "mentions_per_s": round(indexed["mentions"] / seconds, 1),
        "cpu_ms_per_page": round(stats["cpu_seconds"] * 1000 / max(crawled, 1), 2),
        "server_cpu_ms_per_page": round(stats["server_cpu_seconds"] * 1000 / max(crawled, 1),
                                        2),
        "scrapy_bench_pages_per_min": theirs,
        "ratio": theirs and round(ours / theirs, 2),
        "scrapy_bench_runs": runs,
        "checks": {
            "expected_pages": site.product_pages + site.index_pages,
            "expected_mentions": site.mentions,
            "duplicates_dropped": stats.get("mentionwatch/dropped/duplicate", 0),
            "expected_duplicates": site.duplicates,
            "unreadable": stats.get("mentionwatch/unreadable/jsonld", 0),
            "expected_unreadable": site.unreadable,
            "errors": stats.get("log_count/ERROR", 0),
            "langs": indexed["langs"],
            "expected_langs": site.langs,
            "scales": indexed["scales"],
            "expected_scales": site.scales,
            "inbox_opened": stats.get("mentionwatch/inbox/opened", 0),
        },
        "sentiment": "excluded, see bench sentiment",
        "language_model_load_s": round(model_load, 2),
        "settings": {
            **settings,
            "politeness": "robots.txt and AutoThrottle off: bench only, own site on 127.0.0.1",
            "server": "http.server in a child process, HTTP/1.1 keep-alive, TCP_NODELAY",
            "index": "SQLite in a temporary directory",
        },
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average": [round(x, 2) for x in os.getloadavg()]},
    }
