"""The watchlist (`mentionwatch.toml`): which brands to watch, by which terms, on which sources.

    [[brands]]
    name = "Acme"
    terms = ["Acme", "艾克美"]
    exclude = ["Acme Corp lawsuit"]

    [[brands.sources]]
    type = "schemaorg"
    url = "https://shop.example/products/"

Unknown keys are errors, not silently ignored, and so is a key that does not apply to the
source's type (`tag` on a reddit source); every error names the file line.
"""

from __future__ import annotations

import re
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from index.urls import http_url_host

__all__ = [
    "AlertOptions",
    "Brand",
    "EmailNotifier",
    "FlatlineOptions",
    "NegativeShareOptions",
    "NegativeSpikeOptions",
    "Notifier",
    "Source",
    "SourceType",
    "VolumeSpikeOptions",
    "Watchlist",
    "WatchlistError",
    "WebhookNotifier",
    "load_watchlist",
]

SourceType = Literal["schemaorg", "feed", "reddit", "hackernews", "mastodon", "appstore",
                     "trustpilot", "bluesky", "googleplay"]

_URL = r"^https?://\S+$"


def _http_url(url: str) -> str:
    """`url` when it is an http(s) URL with a well-formed host. Whether the host's addresses
    may be requested is the crawler's to judge, on each connection."""
    http_url_host(url)
    return url


HttpURL = Annotated[str, AfterValidator(_http_url)]
# Per source type: the keys it needs (a set of alternatives: at least one of them) and the
# other keys it may have. `url` on an API source replaces its public base URL.
_KEYS: dict[str, tuple[tuple[frozenset[str], ...], frozenset[str]]] = {
    "schemaorg": ((frozenset({"url"}),), frozenset({"scope", "sitemap"})),
    "feed": ((frozenset({"url"}),), frozenset()),
    "reddit": ((frozenset({"query", "subreddit"}),), frozenset({"url"})),
    "hackernews": ((), frozenset({"query", "url"})),
    "mastodon": ((frozenset({"instance"}), frozenset({"tag"})), frozenset()),
    "appstore": ((frozenset({"app_id"}),), frozenset({"country", "url"})),
    "trustpilot": ((frozenset({"company"}),), frozenset({"url"})),
    "bluesky": ((frozenset({"actor", "query"}),),
                frozenset({"url", "identifier_env", "password_env"})),
    "googleplay": ((frozenset({"app_id"}),), frozenset({"country", "lang", "url"})),
}


class WatchlistError(ValueError):
    """Raised by `load_watchlist` for an unreadable or invalid watchlist file."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    type: SourceType
    # The page or feed (schemaorg, feed); for an API source, its base URL if not the public one.
    url: HttpURL | None = None
    # schemaorg: links under this URL prefix are followed; defaults to the directory of `url`.
    scope: HttpURL | None = None
    # schemaorg: a sitemap, sitemap index (gzipped or not) or robots.txt listing sitemaps;
    # its pages under the scope are crawled too.
    sitemap: HttpURL | None = None
    query: str | None = Field(default=None, min_length=1)  # reddit, hackernews, bluesky search
    subreddit: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_]{2,21}$")
    tag: str | None = Field(default=None, pattern=r"^\w+$")  # mastodon hashtag, without '#'
    instance: HttpURL | None = None  # mastodon server
    app_id: str | None = Field(default=None, pattern=r"^[\w.]+$")  # appstore, googleplay
    country: str = Field(default="us", pattern=r"^[a-z]{2}$")  # appstore, googleplay
    lang: str = Field(default="en", pattern=r"^[a-z]{2}(-[A-Z]{2})?$")  # googleplay
    actor: str | None = Field(default=None, min_length=1)  # bluesky handle or DID
    # bluesky search: the names of the environment variables holding the account's handle
    # and app password, never the secrets themselves.
    identifier_env: str | None = Field(default=None, pattern=r"^\w+$")
    password_env: str | None = Field(default=None, pattern=r"^\w+$")
    company: str | None = Field(default=None, pattern=r"^[\w.-]+$")  # trustpilot domain

    @model_validator(mode="after")
    def _keys_fit_type(self) -> Source:
        required, optional = _KEYS[self.type]
        given = self.model_fields_set - {"type"}
        for alternatives in required:
            if not given & alternatives:
                raise ValueError(f"a {self.type} source needs "
                                 + " or ".join(f"`{k}`" for k in sorted(alternatives)))
        allowed = set().union(*required, optional)
        if extra := sorted(given - allowed):
            raise ValueError(f"{', '.join(f'`{k}`' for k in extra)} does not apply to a "
                             f"{self.type} source")
        if self.type == "bluesky":
            self._bluesky_search_login()
        return self

    def _bluesky_search_login(self) -> None:
        # Search needs an account; a feed does not, so its login would be a mistake.
        login = (self.identifier_env, self.password_env)
        if self.actor and self.query:
            raise ValueError("a bluesky source takes `actor` or `query`, not both")
        if self.query and not all(login):
            raise ValueError("a bluesky source with `query` needs `identifier_env` and "
                             "`password_env` (environment variables holding a handle and "
                             "an app password)")
        if self.actor and any(login):
            raise ValueError("`identifier_env`, `password_env` apply to a bluesky `query` "
                             "source only")

    @property
    def page_url(self) -> str:
        """The schemaorg page or feed URL (required for those types)."""
        if self.url is None:
            raise ValueError(f"a {self.type} source has no page url")
        return self.url

    @property
    def follow_prefix(self) -> str:
        return self.scope or self.page_url.rsplit("/", 1)[0] + "/"

    @property
    def key(self) -> str:
        """What this source watches, e.g. "reddit r/gadgets q=acme", for logs and crawl state."""
        parts = [self.type, self.url, self.instance, self.subreddit and f"r/{self.subreddit}",
                 self.query and f"q={self.query}", self.tag and f"#{self.tag}", self.app_id,
                 self.app_id and self.country, self.actor, self.company]
        return " ".join(p for p in parts if p)


def _term_pattern(term: str) -> re.Pattern[str]:
    # Word boundaries only make sense where the term itself starts/ends with a word
    # character of a spaced script; Chinese terms match as substrings.
    escaped = re.escape(term)
    left = r"(?<![\w])" if re.match(r"[A-Za-z0-9]", term) else ""
    right = r"(?![\w])" if re.search(r"[A-Za-z0-9]$", term) else ""
    return re.compile(left + escaped + right, re.IGNORECASE)


class Brand(_Strict):
    name: str = Field(min_length=1)
    terms: tuple[str, ...] = Field(min_length=1)
    exclude: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()
    # The brand's own aspect terms beyond the seed vocabulary ("hinge", "键盘"), e.g. from
    # `mentionwatch aspects propose`.
    aspects: tuple[str, ...] = ()

    @field_validator("terms", "exclude", "aspects")
    @classmethod
    def _no_blank(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        if any(not v.strip() for v in values):
            raise ValueError("terms must not be blank")
        return values

    @field_validator("aspects")
    @classmethod
    def _aspect_names(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        if any(":" in v for v in values):
            raise ValueError("aspects must not contain ':' (aspect:NAME:POLARITY reads it)")
        return values

    @cached_property
    def _patterns(self) -> tuple[tuple[str, re.Pattern[str]], ...]:
        return tuple((t, _term_pattern(t)) for t in self.terms)

    @cached_property
    def _exclusions(self) -> tuple[re.Pattern[str], ...]:
        return tuple(_term_pattern(t) for t in self.exclude)

    def match(self, text: str) -> tuple[str, ...]:
        """The brand terms found in `text`; empty when none is, or an exclusion is."""
        if any(p.search(text) for p in self._exclusions):
            return ()
        return tuple(term for term, p in self._patterns if p.search(text))


# Alert rules (`[[alerts]]`), read by api/alerts. Each type's options, with defaults that
# work untuned; `brands` empty means every brand of the watchlist.


class WebhookNotifier(_Strict):
    """POSTs Slack-compatible JSON to `url`."""

    type: Literal["webhook"]
    url: str = Field(pattern=_URL)


class EmailNotifier(_Strict):
    """Mails the alert through an SMTP server (`smtp://host:port` with STARTTLS, or
    `smtps://` and port 465 with TLS from the start)."""

    type: Literal["email"]
    smtp: str = Field(pattern=r"^smtps?://[\w.-]+(:\d{1,5})?/?$")
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    to: tuple[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")], ...] = Field(min_length=1)
    starttls: bool = True
    # Log in over a connection without TLS: only for a server that cannot do TLS.
    allow_plaintext_auth: bool = False
    username: str | None = None
    # The name of the environment variable holding the password: never the password itself.
    password_env: str | None = Field(default=None, pattern=r"^\w+$")


Notifier = Annotated[WebhookNotifier | EmailNotifier, Field(discriminator="type")]


class _AlertOptions(_Strict):
    name: str = Field(pattern=r"^[\w.-]+$")
    brands: tuple[str, ...] = ()
    cooldown_hours: int = Field(default=6, ge=0, le=720)
    notify: tuple[Notifier, ...] = ()


class _SpikeOptions(_AlertOptions):
    baseline_days: int = Field(default=14, ge=7, le=28)
    min_count: int = Field(default=5, ge=1)
    # Chance of at least the observed count under Poisson noise around the baseline, at most.
    p: float = Field(default=1e-3, gt=0, lt=1)
    # And a robust z-score (median/MAD, never below Poisson noise) of at least this: guards
    # a subject noisier than Poisson, where `p` alone would fire too often.
    z: float = Field(default=3.0, gt=0)
    ratio: float = Field(default=2.0, ge=1)  # and this multiple of the baseline
    seasonal: bool = True  # baseline from the same hour of day, scaled by day of week


class NegativeSpikeOptions(_SpikeOptions):
    type: Literal["negative_spike"] = "negative_spike"


class VolumeSpikeOptions(_SpikeOptions):
    type: Literal["volume_spike"] = "volume_spike"
    min_count: int = Field(default=20, ge=1)


class NegativeShareOptions(_AlertOptions):
    type: Literal["negative_share"] = "negative_share"
    level: float = Field(default=0.5, gt=0, lt=1)
    min_volume: int = Field(default=20, ge=1)  # mentions in the window
    window_hours: int = Field(default=6, ge=1, le=168)
    cooldown_hours: int = Field(default=24, ge=0, le=720)


class FlatlineOptions(_AlertOptions):
    type: Literal["flatline"] = "flatline"
    by: Literal["source", "brand"] = "source"
    hours: int = Field(default=12, ge=1, le=168)
    baseline_days: int = Field(default=7, ge=1, le=28)
    min_expected: float = Field(default=10, gt=0)  # mentions usually seen in `hours`
    max_fraction: float = Field(default=0.1, ge=0, lt=1)  # of them, at most, to fire
    cooldown_hours: int = Field(default=24, ge=0, le=720)


AlertOptions = Annotated[
    NegativeSpikeOptions | VolumeSpikeOptions | NegativeShareOptions | FlatlineOptions,
    Field(discriminator="type"),
]


class Watchlist(_Strict):
    brands: tuple[Brand, ...] = Field(min_length=1)
    alerts: tuple[AlertOptions, ...] = ()

    @field_validator("brands")
    @classmethod
    def _unique_names(cls, brands: tuple[Brand, ...]) -> tuple[Brand, ...]:
        names = [b.name.casefold() for b in brands]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"brand names must be unique, repeated: {', '.join(dupes)}")
        return brands

    def brand(self, name: str) -> Brand:
        for b in self.brands:
            if b.name.casefold() == name.casefold():
                return b
        raise KeyError(name)


_TAGS = frozenset(
    get_args(model.model_fields["type"].annotation)[0]
    for model in (NegativeSpikeOptions, VolumeSpikeOptions, NegativeShareOptions,
                  FlatlineOptions, WebhookNotifier, EmailNotifier)
)
_HEADER = re.compile(r"^\s*\[\[\s*([\w.]+)\s*\]\]")
_TABLE = re.compile(r"^\s*\[\s*([\w.]+)\s*\]")
_KEY = re.compile(r"^\s*([\w-]+)\s*=")
_STRINGS_AND_COMMENTS = re.compile(r'"(?:\\.|[^"\\])*"|\'[^\']*\'|#.*')


def _key_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """Map each table and key path (`('brands', 0, 'sources', 1, 'url')`) to its line."""
    lines: dict[tuple[str | int, ...], int] = {}
    counts: dict[tuple[str | int, ...], int] = {}
    current: tuple[str | int, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        if m := _HEADER.match(line):
            parent: tuple[str | int, ...] = ()
            parts = m.group(1).split(".")
            for part in parts[:-1]:
                parent = (*parent, part, counts.get((*parent, part), 1) - 1)
            key = (*parent, parts[-1])
            counts[key] = counts.get(key, 0) + 1
            current = (*key, counts[key] - 1)
            lines[current] = number
        elif m := _TABLE.match(line):
            current = tuple(m.group(1).split("."))
            lines[current] = number
        elif m := _KEY.match(line):
            lines[(*current, m.group(1))] = number
    return lines


def _without_tags(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """pydantic puts a union member's `type` tag after its index (`alerts[0].flatline.by`);
    the file has no such key."""
    return tuple(part for i, part in enumerate(loc)
                 if not (i and isinstance(loc[i - 1], int) and part in _TAGS))


def _line_of(loc: tuple[str | int, ...], key_lines: dict[tuple[str | int, ...], int]) -> int:
    for end in range(len(loc), 0, -1):
        if loc[:end] in key_lines:
            return key_lines[loc[:end]]
    return 1


def _dotted(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def load_watchlist(path: str | Path) -> Watchlist:
    """Read and validate a watchlist file; errors name the file, line and problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WatchlistError(f"{path}: cannot read watchlist: {exc}") from exc
    return parse_watchlist(text, str(path))


def _deepest_line(text: str) -> int:
    """The line where brackets and braces, counted outside strings and comments, nest
    deepest: where a value too deeply nested for tomllib is."""
    depth, deepest, line = 0, -1, 1
    for number, text_line in enumerate(text.splitlines(), start=1):
        for char in _STRINGS_AND_COMMENTS.sub("", text_line):
            depth += (char in "[{") - (char in "]}")
            if depth > deepest:
                deepest, line = depth, number
    return line


def _real_problems(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    """`errors` without a tuple's "should have at least 1 item" that only echoes its own items'
    errors: pydantic counts the items that validated, so one bad brand also makes `brands`
    too short."""
    return [err for err in errors
            if not (err["type"] == "too_short"
                    and any(other["loc"][:len(err["loc"])] == err["loc"]
                            and len(other["loc"]) > len(err["loc"]) for other in errors))]


def parse_watchlist(text: str, origin: str = "watchlist") -> Watchlist:
    """Validate watchlist TOML text; errors name `origin`, the line and the problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WatchlistError(f"{origin}: invalid TOML: {exc}") from exc
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise WatchlistError(f"{origin}:{_deepest_line(text)}: invalid TOML: arrays or inline "
                             f"tables nested too deeply") from None
    try:
        return Watchlist.model_validate(data)
    except ValidationError as exc:
        key_lines = _key_lines(text)
        errors = _real_problems(exc.errors())
        locs = [_without_tags(err["loc"]) for err in errors]
        problems = [
            f"{origin}:{_line_of(loc, key_lines)}: {_dotted(loc) or 'file'}: {err['msg']}"
            for loc, err in zip(locs, errors, strict=True)
        ]
        raise WatchlistError("\n".join(problems)) from None
