"""The watchlist file's shape (`mentionwatch.toml`): brands, the terms that name them, their
sources and the alert rules, and how the file is read.

    [[brands]]
    name = "Acme"
    terms = ["Acme", "艾克美"]
    exclude = ["Acme Corp lawsuit"]

    [brands.accounts]          # the brand's own accounts: their replies answer mentions
    reddit = ["AcmeSupport"]
    mastodon = ["@acme@mastodon.social"]

    [[brands.sources]]
    type = "schemaorg"
    url = "https://shop.example/products/"

This module knows no source type, rule type or notifier: each is declared beside its code
(a source type's options beside its spider in `crawlers/spiders/`, a rule's beside the rule
in `api/alerts/rules.py`, a notifier's beside it in `api/alerts/notifiers.py`), and
`api/watchlist.py`, the one layer that may import them all, composes the file's model as
`Watchlist[Brand[Source], AlertOptions]`. Here are the parts every layer shares: the options base
classes, the brand and its term matching, and `validate_toml`, which turns pydantic's errors
into one line per problem naming the file line and the key.

Unknown keys are errors, not silently ignored, and so is a key that does not apply to the
source's type (`tag` on a reddit source).
"""

from __future__ import annotations

import re
import tomllib
from abc import abstractmethod
from collections.abc import Iterable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from index.keys import handle_key
from index.urls import http_url_host

__all__ = [
    "NETWORKS",
    "TAG",
    "Brand",
    "BrandAccounts",
    "HttpURL",
    "MissingCredentials",
    "Options",
    "SourceOptions",
    "Watchlist",
    "WatchlistError",
    "account_key",
    "read_toml",
    "validate_toml",
]

# The key that names a table's kind: a source's, a rule's or a notifier's `type`.
TAG = "type"


def _http_url(url: str) -> str:
    """`url` when it is an http(s) URL with a well-formed host. Whether the host's addresses
    may be requested is the crawler's to judge, on each connection."""
    http_url_host(url)
    return url


HttpURL = Annotated[str, AfterValidator(_http_url)]


class WatchlistError(ValueError):
    """Raised for an unreadable or invalid watchlist file (`read_toml`, `validate_toml`)."""


class MissingCredentials(WatchlistError):
    """Raised by a source's `check_environment` (and so by `crawlers.run.run_crawl`, before
    any request) when an environment variable it names (a login, an API key) is not set."""


class Options(BaseModel):
    """A table of the file: immutable, and a key it does not declare is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceOptions(Options):
    """What one `[[brands.sources]]` table of a source type says. Each type subclasses it
    beside its spider, with `type: Literal["<type>"]` and its own keys.

    A key that does not apply to the type is refused by name ("`tag` does not apply to a
    reddit source"), not as a bare unknown key: most such keys belong to another type.
    """

    # Collected, then refused in `_keys_fit_type` with the type's name.
    model_config = ConfigDict(extra="allow")

    type: str
    # Keys of which the source needs at least one (`query` or `subreddit`); a key it always
    # needs is simply a field without a default.
    needs_one_of: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _keys_fit_type(self) -> Self:
        if self.needs_one_of and not self.model_fields_set & set(self.needs_one_of):
            raise ValueError(f"a {self.type} source needs "
                             + " or ".join(f"`{k}`" for k in self.needs_one_of))
        if self.model_extra:
            raise ValueError(f"{', '.join(f'`{k}`' for k in sorted(self.model_extra))} does "
                             f"not apply to a {self.type} source")
        return self

    @abstractmethod
    def key_parts(self) -> Iterable[str | None]:
        """What `key` shows after the type; empty parts are left out."""

    def check_environment(self, environ: Mapping[str, str]) -> None:
        """Raise a WatchlistError naming an environment variable this source needs (a login,
        an API key) that `environ` lacks. `run_crawl` asks every source before crawling."""

    @property
    def key(self) -> str:
        """What this source watches, e.g. "reddit r/gadgets q=acme", for logs and crawl
        state (a crawl resumes by it: a type must keep its key's shape)."""
        return " ".join(p for p in (self.type, *self.key_parts()) if p)


def _term_pattern(term: str) -> re.Pattern[str]:
    # Word boundaries only make sense where the term itself starts/ends with a word
    # character of a spaced script; Chinese terms match as substrings.
    escaped = re.escape(term)
    left = r"(?<![\w])" if re.match(r"[A-Za-z0-9]", term) else ""
    right = r"(?![\w])" if re.search(r"[A-Za-z0-9]$", term) else ""
    return re.compile(left + escaped + right, re.IGNORECASE)


SourceT = TypeVar("SourceT", bound=SourceOptions)

#: What a handle looks like on each network a brand's accounts may be on, as said in errors.
_HANDLES: dict[str, tuple[re.Pattern[str], str]] = {
    "reddit": (re.compile(r"(?:/?u/)?[A-Za-z0-9_-]{3,20}"), "a username such as AcmeSupport"),
    "hackernews": (re.compile(r"[A-Za-z0-9_-]{2,15}"), "a username such as acme_hq"),
    "mastodon": (re.compile(r"@?\w+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"),
                 "@user@server, such as @acme@mastodon.social"),
    "bluesky": (re.compile(r"@?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|did:[a-z]+:[A-Za-z0-9._:-]+"),
                "a handle such as acme.bsky.social, or a DID"),
}
#: The networks a brand's own accounts may be on: the source types of the same names.
NETWORKS: tuple[str, ...] = tuple(_HANDLES)


def account_key(network: str, handle: str) -> str:
    """How a handle on `network` compares: casefolded, without '@' or Reddit's 'u/'."""
    return handle_key(handle).removeprefix("/").removeprefix("u/")


class BrandAccounts(Options):
    """The brand's own accounts per network (`[brands.accounts]`): a post by one of them
    answering a mention is the brand's reply to it, not a mention of its own."""

    reddit: tuple[str, ...] = ()
    hackernews: tuple[str, ...] = ()
    mastodon: tuple[str, ...] = ()
    bluesky: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _known_networks(cls, data: Any) -> Any:
        unknown = sorted(set(data) - set(NETWORKS)) if isinstance(data, dict) else []
        if unknown:
            raise ValueError(f"{', '.join(f'`{n}`' for n in unknown)}: accounts can be on "
                             f"{', '.join(NETWORKS)}")
        return data

    @field_validator(*NETWORKS)
    @classmethod
    def _handles(cls, handles: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        pattern, shape = _HANDLES[str(info.field_name)]
        for handle in handles:
            if not pattern.fullmatch(handle.strip()):
                raise ValueError(f"{handle!r} is not a {info.field_name} account: "
                                 f"expected {shape}")
        return handles

    @cached_property
    def _keys(self) -> dict[str, frozenset[str]]:
        return {network: frozenset(account_key(network, h) for h in getattr(self, network))
                for network in NETWORKS}

    def owns(self, network: str, handle: str | None) -> bool:
        """Whether `handle` (as `network` spells it: "AcmeSupport", "acme@mastodon.social")
        is one of the brand's accounts there."""
        return bool(handle) and account_key(network, handle or "") in self._keys.get(
            network, frozenset())


class Brand(Options, Generic[SourceT]):
    name: str = Field(min_length=1)
    terms: tuple[str, ...] = Field(min_length=1)
    exclude: tuple[str, ...] = ()
    sources: tuple[SourceT, ...] = ()
    # The brand's own aspect terms beyond the seed vocabulary ("hinge", "键盘"), e.g. from
    # `mentionwatch aspects propose`.
    aspects: tuple[str, ...] = ()
    accounts: BrandAccounts = BrandAccounts()

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

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the brand's terms stand in `text`, in order; empty when an exclusion is
        found, as for `match`."""
        if any(p.search(text) for p in self._exclusions):
            return []
        return sorted(m.span() for _, p in self._patterns for m in p.finditer(text))


BrandT = TypeVar("BrandT", bound=Brand[Any])
RuleT = TypeVar("RuleT", bound=Options)


class Watchlist(Options, Generic[BrandT, RuleT]):
    """The whole file, once the layer above names its brand (with its source types) and
    rule types."""

    brands: tuple[BrandT, ...] = Field(min_length=1)
    alerts: tuple[RuleT, ...] = ()

    @field_validator("brands")
    @classmethod
    def _unique_names(cls, brands: tuple[BrandT, ...]) -> tuple[BrandT, ...]:
        names = [b.name.casefold() for b in brands]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"brand names must be unique, repeated: {', '.join(dupes)}")
        return brands

    def brand(self, name: str) -> BrandT:
        for b in self.brands:
            if b.name.casefold() == name.casefold():
                return b
        raise KeyError(name)


Loc = tuple[str | int, ...]  # a key's path in the file: ('brands', 0, 'sources', 1, 'url')
_HEADER = re.compile(r"^\s*\[\[\s*([\w.]+)\s*\]\]")
_TABLE = re.compile(r"^\s*\[\s*([\w.]+)\s*\]")
_KEY = re.compile(r"^\s*([\w-]+)\s*=")
_STRINGS_AND_COMMENTS = re.compile(r'"(?:\\.|[^"\\])*"|\'[^\']*\'|#.*')


def _in_latest(parts: list[str], counts: dict[Loc, int]) -> Loc:
    """The path of a table header's name: `brands.accounts` is in the latest `[[brands]]`,
    `drafts.templates` in the one `[drafts]` table."""
    parent: Loc = ()
    for part in parts[:-1]:
        parent = (*parent, part)
        if parent in counts:  # an array of tables (`[[brands]]`): its latest one
            parent = (*parent, counts[parent] - 1)
    return (*parent, parts[-1])


def _key_lines(text: str) -> dict[Loc, int]:
    """Map each table and key path (`('brands', 0, 'sources', 1, 'url')`) to its line."""
    lines: dict[Loc, int] = {}
    counts: dict[Loc, int] = {}
    current: Loc = ()
    for number, line in enumerate(text.splitlines(), start=1):
        if m := _HEADER.match(line):
            key = _in_latest(m.group(1).split("."), counts)
            counts[key] = counts.get(key, 0) + 1
            current = (*key, counts[key] - 1)
            lines[current] = number
        elif m := _TABLE.match(line):
            current = _in_latest(m.group(1).split("."), counts)
            lines[current] = number
        elif m := _KEY.match(line):
            lines[(*current, m.group(1))] = number
    return lines


def _file_loc(loc: Loc, data: Any) -> Loc:
    """`loc` as a path of the file's keys: pydantic puts a tagged table's `type` after its
    index (`alerts[0].flatline.by`), a key the file does not have."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part not in node and node.get(TAG) == part:
            continue
        path.append(part)
        node = node.get(part) if isinstance(node, dict) else (
            node[part] if isinstance(node, list) and isinstance(part, int) else None)
    return tuple(path)


def _problem(err: ErrorDetails, data: Any) -> tuple[Loc, str]:
    """Where in the file, and what: a tagged table's missing or unknown `type` is named as
    that key, with the types there are."""
    loc = _file_loc(err["loc"], data)
    if err["type"] == "union_tag_invalid":
        expected = str(err.get("ctx", {})["expected_tags"]).rsplit(", ", 1)
        return (*loc, TAG), f"Input should be {' or '.join(expected)}"
    if err["type"] == "union_tag_not_found":
        return (*loc, TAG), "Field required"
    return loc, err["msg"]


def _line_of(loc: Loc, key_lines: dict[Loc, int]) -> int:
    for end in range(len(loc), 0, -1):
        if loc[:end] in key_lines:
            return key_lines[loc[:end]]
    return 1


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


ModelT = TypeVar("ModelT", bound=BaseModel)


def read_toml(path: str | Path, model: type[ModelT]) -> ModelT:
    """Read and validate a watchlist file as `model`; errors name the file, line and
    problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WatchlistError(f"{path}: cannot read watchlist: {exc}") from exc
    return validate_toml(text, model, str(path))


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


def validate_toml(text: str, model: type[ModelT], origin: str = "watchlist") -> ModelT:
    """Validate watchlist TOML text as `model`; errors name `origin`, the line and the
    problem, one line each."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WatchlistError(f"{origin}: invalid TOML: {exc}") from exc
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise WatchlistError(f"{origin}:{_deepest_line(text)}: invalid TOML: arrays or inline "
                             f"tables nested too deeply") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        key_lines = _key_lines(text)
        problems = [_problem(err, data) for err in _real_problems(exc.errors())]
        raise WatchlistError("\n".join(
            f"{origin}:{_line_of(loc, key_lines)}: {_dotted(loc) or 'file'}: {msg}"
            for loc, msg in problems)) from None
