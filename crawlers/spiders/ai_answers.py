"""AI answers: the brand's prompts asked of OpenAI-compatible chat-completions engines,
`runs` times each (answers vary from run to run), each answer kept as an `ai_answer` mention.

The API key is read from the environment variable an engine names and put on each request
by `EngineKeyMiddleware` as it leaves for the network (after the address guard), so neither
the resumable frontier, which keeps requests in the index file, nor any log holds it. A
missing variable is a `MissingCredentials` error before the crawl starts (`run_crawl`).

Rate limits (429 with Retry-After), server errors and timeouts are retried by the crawler's
retry middleware; an answer that never comes is counted (`mentionwatch/ai_answers/failed`)
and the crawl goes on.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self
from urllib.parse import urlsplit

import scrapy
from pydantic import Field, model_validator

from crawlers.extract.ai_answer import answer_mention, chat_body, read_answer
from index.watchlist import Brand, HttpURL, MissingCredentials, Options, SourceOptions

if TYPE_CHECKING:
    from scrapy.http import Response
    from scrapy.settings import BaseSettings
    from twisted.python.failure import Failure

    from index.record import Mention

__all__ = ["AiAnswersSource", "AiAnswersSpider", "Engine", "EngineKeyMiddleware", "roster"]

_KEY_ENV = "mentionwatch_ai_key_env"  # request meta: the variable holding the engine's key


class AiAnswersSpider(scrapy.Spider):
    name = "ai_answers"

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        settings.set("ROBOTSTXT_OBEY", False, priority="spider")  # an API, not pages

    def __init__(self, targets: Sequence[tuple[Brand[Any], AiAnswersSource]] = (),
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.targets = list(targets)
        self.asked = [f"{b.name}: {s.key}" for b, s in self.targets]  # for coverage and resume
        self.started = datetime.now(UTC)

    def roster(self, brand: Brand[Any], source: AiAnswersSource) -> list[Brand[Any]]:
        return roster(brand, source.competitors,
                      self.settings.getdict("MENTIONWATCH_BRAND_TERMS"))

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for brand, source in self.targets:
            for request in self.requests(brand, source):
                yield request

    def requests(self, brand: Brand[Any], source: AiAnswersSource) -> Iterator[scrapy.Request]:
        """Run 1 of every prompt on every engine, then run 2, ..., up to the source's budget."""
        calls = [(run, prompt, engine) for run in range(1, source.runs + 1)
                 for prompt in source.prompts for engine in source.engines]
        if len(calls) > source.budget:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("mentionwatch/ai_answers/over_budget",
                                         len(calls) - source.budget)
            self.logger.warning("%s: %d calls wanted, budget %d: the rest are not asked",
                                source.key, len(calls), source.budget)
        for run, prompt, engine in calls[:source.budget]:
            yield scrapy.Request(
                engine.chat_url, method="POST",
                body=chat_body(engine.model, prompt, f"mentionwatch {brand.name} run {run}"),
                headers={"Content-Type": "application/json"},
                callback=self.parse, errback=self.failed,
                cb_kwargs={"brand": brand, "source": source, "engine": engine,
                           "prompt": prompt, "run": run},
                meta={_KEY_ENV: engine.api_key_env, "download_timeout": engine.timeout})

    def parse(self, response: Response, brand: Brand[Any], source: AiAnswersSource,
              engine: Engine, prompt: str, run: int) -> Iterator[Mention]:
        answer = read_answer(response.body, response.url, self.count_unreadable)
        if answer is None:
            return
        native = "\x1f".join((answer.id, self.started.isoformat(), str(run), prompt))
        yield answer_mention(answer, source=engine.source, url=engine.chat_url,
                             engine=engine.label, prompt=prompt, brand=brand,
                             roster=self.roster(brand, source), native_id=native)

    def count_unreadable(self, reason: str, detail: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"mentionwatch/unreadable/{reason}")
        self.logger.warning("unreadable %s: %s", reason, detail)

    def failed(self, failure: Failure) -> None:
        """An answer that did not come after its retries (an HTTP error, a timeout)."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("mentionwatch/ai_answers/failed")
        self.logger.warning("no answer from %s: %s", failure.request.url,  # type: ignore[attr-defined]
                            failure.getErrorMessage())


def roster(brand: Brand[Any], competitors: Iterable[str],
           watched: Mapping[str, Sequence[str]]) -> list[Brand[Any]]:
    """Every brand to look for in the brand's answers: itself, its `competitors` (a watched
    brand's name brings its terms) and the other `watched` brands (name -> terms)."""
    known = {name.casefold(): (name, tuple(terms)) for name, terms in watched.items()}
    others = [known.get(c.casefold(), (c, (c,))) for c in competitors]
    others += [w for key, w in known.items() if key != brand.name.casefold()]
    return [brand, *(Brand(name=name, terms=terms) for name, terms in others)]


class EngineKeyMiddleware:
    """Downloader middleware: the engine's API key, from its environment variable, as a
    bearer token on each request as it leaves."""

    def __init__(self, environ: Mapping[str, str] = os.environ) -> None:
        self.environ = environ

    def process_request(self, request: scrapy.Request) -> None:
        if name := request.meta.get(_KEY_ENV):
            request.headers["Authorization"] = f"Bearer {self.environ[name]}"


class Engine(Options):
    """One OpenAI-compatible chat-completions endpoint: a hosted API or a local server
    (llama.cpp, vLLM, Ollama) at `base_url` (the part before `/chat/completions`)."""

    base_url: HttpURL
    model: str = Field(min_length=1)
    # The environment variable holding the API key; a local server may need none.
    api_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    # What the answers' author is called; the base URL's host when not given.
    name: str | None = Field(default=None, min_length=1)
    timeout: float = Field(default=120.0, gt=0)  # seconds per answer: answers are slow

    @property
    def chat_url(self) -> str:
        return f"{self.base_url.rstrip('/')}/chat/completions"

    @property
    def label(self) -> str:
        return self.name or urlsplit(self.base_url).netloc

    @property
    def source(self) -> str:
        """The answers' `source`: the engine and its model."""
        return f"{self.label}:{self.model}"


class AiAnswersSource(SourceOptions):
    """Prompts asked of AI engines, `runs` times each per crawl, at most `budget` calls."""

    type: Literal["ai_answers"]
    prompts: tuple[str, ...] = Field(min_length=1)
    competitors: tuple[str, ...] = ()
    engines: tuple[Engine, ...] = Field(min_length=1)
    runs: int = Field(default=5, ge=1, le=100)
    budget: int = Field(default=100, ge=1)
    spider: ClassVar[type[AiAnswersSpider]] = AiAnswersSpider

    @model_validator(mode="after")
    def _no_blank(self) -> Self:
        if any(not text.strip() for text in (*self.prompts, *self.competitors)):
            raise ValueError("prompts and competitors must not be blank")
        return self

    def key_parts(self) -> Iterable[str | None]:
        prompts = hashlib.sha1("\x1f".join(self.prompts).encode()).hexdigest()[:12]
        return (*(engine.source for engine in self.engines), f"prompts={prompts}")

    def check_environment(self, environ: Mapping[str, str]) -> None:
        for engine in self.engines:
            if engine.api_key_env and not environ.get(engine.api_key_env):
                raise MissingCredentials(f"ai_answers engine {engine.source}: environment "
                                         f"variable {engine.api_key_env} (api_key_env) is not set")
