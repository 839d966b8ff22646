"""The mention record: one review, post, comment, article or AI answer, as every package
sees it.

Spiders build a `Mention` with `Mention.create(...)`, which derives the stable `id` and the
`content_hash`; pipelines add enrichment with `dataclasses.replace`. The record is
validated when it is built, so a bad value fails where it was made, not in the index.

This is the one definition of the record's fields. `to_dict` and `from_dict` follow them, and
so does the Elasticsearch document's `record`; the places that spell them out again (the API's
`MentionOut`, the CSV columns in `api/mentions.py`, the SQLite store's fast JSON writer) are
checked field by field by tests/test_record_shape.py. To add a field: add it here, set it in
that test's `FULL`, and the test names every place that still misses it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from index.urls import untracked

__all__ = [
    "SENTIMENT_LABELS",
    "Advocate",
    "Aspect",
    "Author",
    "BrandReply",
    "Engagement",
    "Kind",
    "Mention",
    "NamedBrand",
    "NpsClass",
    "Persona",
    "Rating",
    "RecordError",
    "Sentiment",
    "SentimentLabel",
    "content_hash",
    "mention_id",
]

Kind = Literal["review", "post", "comment", "article", "ai_answer"]
SentimentLabel = Literal["positive", "neutral", "negative"]
NpsClass = Literal["promoter", "passive", "detractor"]
Persona = Literal["educator", "validator", "connector", "builder"]

#: The sentiment labels, for everyone above `index`. `sentiment` spells its own `Label` (it
#: never imports `index`); tests/test_record_shape.py checks that the two agree.
SENTIMENT_LABELS: tuple[SentimentLabel, ...] = get_args(SentimentLabel)

_KINDS: frozenset[str] = frozenset(get_args(Kind))
_LABELS: frozenset[str] = frozenset(SENTIMENT_LABELS)
_NPS: frozenset[str] = frozenset(get_args(NpsClass))
_PERSONAS: frozenset[str] = frozenset(get_args(Persona))


class RecordError(ValueError):
    """Raised by the record's constructors when a field value is invalid."""


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise RecordError(message)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _scrub(record: object, *names: str) -> None:
    """Replace lone surrogates (JSON allows `"\\ud800"`) in these str fields with U+FFFD:
    they cannot be encoded, so SQLite, JSON output and every UTF-8 writer would refuse them."""
    for name in names:
        value = getattr(record, name)
        if isinstance(value, str) and _SURROGATE.search(value):
            object.__setattr__(record, name, _SURROGATE.sub("\ufffd", value))


def _utc(value: datetime | None, name: str) -> datetime | None:
    if value is None:
        return None
    _require(value.tzinfo is not None, f"{name} must be timezone-aware, got {value!r}")
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Author:
    name: str
    handle: str | None = None
    url: str | None = None
    followers: int | None = None
    verified: bool = False

    def __post_init__(self) -> None:
        _require(self.followers is None or self.followers >= 0, "author.followers must be >= 0")
        _scrub(self, "name", "handle", "url")


@dataclass(frozen=True, slots=True)
class Rating:
    """A rating on its own scale; `normalized` maps it to 0..1 so scales compare."""

    value: float
    best: float
    worst: float

    def __post_init__(self) -> None:
        _require(self.best > self.worst, f"rating best {self.best} must exceed worst {self.worst}")
        _require(
            self.worst <= self.value <= self.best,
            f"rating {self.value} outside its scale {self.worst}..{self.best}",
        )

    @property
    def normalized(self) -> float:
        return (self.value - self.worst) / (self.best - self.worst)


@dataclass(frozen=True, slots=True)
class Engagement:
    likes: int | None = None
    replies: int | None = None
    reposts: int | None = None
    score: int | None = None
    views: int | None = None


@dataclass(frozen=True, slots=True)
class Sentiment:
    label: SentimentLabel
    score: float
    confidence: float
    model: str
    corrected_by: str | None = None

    def __post_init__(self) -> None:
        _require(self.label in _LABELS, f"sentiment label {self.label!r} not in {sorted(_LABELS)}")
        _require(-1.0 <= self.score <= 1.0, f"sentiment score {self.score} outside -1..1")
        _require(0.0 <= self.confidence <= 1.0, f"confidence {self.confidence} outside 0..1")


@dataclass(frozen=True, slots=True)
class Advocate:
    score: float
    persona: Persona | None
    signals: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _require(0.0 <= self.score <= 1.0, f"advocate score {self.score} outside 0..1")
        _require(
            self.persona is None or self.persona in _PERSONAS,
            f"persona {self.persona!r} not in {sorted(_PERSONAS)}",
        )


@dataclass(frozen=True, slots=True)
class Aspect:
    """What a mention says about one aspect (battery, price, ...): its canonical name,
    lowercase and without ':', and the polarity of what is said about it."""

    name: str
    polarity: SentimentLabel

    def __post_init__(self) -> None:
        _require(bool(self.name.strip()) and ":" not in self.name
                 and self.name == self.name.strip().casefold(),
                 f"aspect name {self.name!r} must be lowercase, trimmed, non-empty, without ':'")
        _require(self.polarity in _LABELS,
                 f"aspect polarity {self.polarity!r} not in {sorted(_LABELS)}")

    @property
    def key(self) -> str:
        """`name:polarity`, as the index stores it and `aspect:` filters compare it."""
        return f"{self.name}:{self.polarity}"


@dataclass(frozen=True, slots=True)
class NamedBrand:
    """A brand an AI answer names: its `position` (1 = first in the answer's ranked or
    bulleted list, else the first named), the sentences naming it (`excerpt`), and the
    sentiment toward it in those sentences (its label and score, -1..1), which the crawl's
    sentiment step fills in."""

    name: str
    position: int
    excerpt: str
    sentiment: SentimentLabel | None = None
    score: float | None = None

    def __post_init__(self) -> None:
        _require(bool(self.name.strip()), "named brand's name is empty")
        _require(self.position >= 1, f"position {self.position} of {self.name!r} must be >= 1")
        _require(self.sentiment is None or self.sentiment in _LABELS,
                 f"sentiment {self.sentiment!r} not in {sorted(_LABELS)}")
        _require(self.score is None or -1.0 <= self.score <= 1.0,
                 f"sentiment score {self.score} of {self.name!r} outside -1..1")
        _scrub(self, "name", "excerpt")


@dataclass(frozen=True, slots=True)
class BrandReply:
    """A public answer to the mention by the brand it is about: the company's reply to a
    review, or a post by one of the brand's own accounts answering it. `author` is the name
    shown (the company's or the account's handle); `published_at` is None when the source
    does not date it."""

    text: str
    author: str
    published_at: datetime | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        _require(bool(self.text.strip()), "reply text is empty")
        _require(self.url is None or urlsplit(self.url).scheme in ("http", "https"),
                 f"reply url {self.url!r} is not http(s)")
        object.__setattr__(self, "published_at", _utc(self.published_at, "reply published_at"))
        _scrub(self, "text", "author", "url")


def mention_id(source: str, native_id: str | None, *, url: str = "", author: str = "",
               published_at: datetime | None = None, text: str = "") -> str:
    """Stable id: the source plus its native id, else url + author + date + text."""
    if native_id:
        key = f"{source}\x1f{native_id}"
    else:
        date = published_at.isoformat() if published_at else ""
        key = f"{source}\x1f{url}\x1f{author}\x1f{date}\x1f{text}"
    # surrogatepass: a lone surrogate in a native id still gives an id, not an error.
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:24]


_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_LINK = re.compile(r"https?://\S+", re.IGNORECASE)


def content_hash(text: str) -> str:
    """Hash of the text with case, width, punctuation, spacing and the tracking parameters
    of its links folded away, so the same press release on many sites (its syndicated
    copies) hashes alike; mentions with equal hashes are duplicates of each other, which
    search groups and analytics count once."""
    links_untracked = _LINK.sub(lambda link: untracked(link.group()),
                                unicodedata.normalize("NFKC", text))
    folded = _NOT_WORD.sub(" ", links_untracked.casefold()).strip()
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class Mention:
    id: str
    source: str
    source_domain: str
    kind: Kind
    url: str
    text: str
    author: Author
    collected_at: datetime
    content_hash: str
    published_at: datetime | None = None
    title: str | None = None
    lang: str | None = None
    parent_id: str | None = None
    rating: Rating | None = None
    engagement: Engagement = field(default_factory=Engagement)
    brand: str | None = None  # the primary brand: the first of `brands`
    matched_terms: tuple[str, ...] = ()
    sentiment: Sentiment | None = None  # overall: from the text, and the rating if any
    nps_class: NpsClass | None = None
    nps_estimated: bool = False
    advocate: Advocate | None = None
    text_sentiment: Sentiment | None = None  # the text model's own result, never corrected
    aspects: tuple[Aspect, ...] = ()  # what it praises or blames, one per aspect name
    citations: tuple[str, ...] = ()  # the URLs an AI answer cites
    named: tuple[NamedBrand, ...] = ()  # the brands an AI answer names, in position order
    # Every watched brand the mention names, `brand` first: a comparison counts for each.
    brands: tuple[str, ...] = ()
    # The brand's public answers to it, earliest first (undated ones last).
    brand_replies: tuple[BrandReply, ...] = ()

    def __post_init__(self) -> None:
        _scrub(self, "url", "text", "title", "lang", "brand")
        self._settle_brands()
        _require(bool(self.id), "id is empty")
        _require(bool(self.source), "source is empty")
        _require(self.kind in _KINDS, f"kind {self.kind!r} not in {sorted(_KINDS)}")
        _require(urlsplit(self.url).scheme in ("http", "https"), f"url {self.url!r} is not http(s)")
        _require(bool(self.text.strip()), f"text is empty for {self.url}")
        _require(self.nps_class is None or self.nps_class in _NPS, f"nps_class {self.nps_class!r}")
        object.__setattr__(self, "published_at", _utc(self.published_at, "published_at"))
        object.__setattr__(self, "collected_at", _utc(self.collected_at, "collected_at"))
        object.__setattr__(self, "brand_replies",
                           tuple(sorted(self.brand_replies, key=_reply_order)))

    @property
    def first_reply_at(self) -> datetime | None:
        """When the brand first answered it (None if never, or only undated replies)."""
        return self.brand_replies[0].published_at if self.brand_replies else None

    def _settle_brands(self) -> None:
        """`brand` and `brands` agree: either one given sets the other (a record written
        before `brands` existed names its one brand), and `brand` leads `brands`."""
        brands = tuple(_SURROGATE.sub("\ufffd", b) for b in self.brands)
        _require(all(b.strip() for b in brands), f"brands {brands!r} holds an empty name")
        if self.brand is None and brands:
            object.__setattr__(self, "brand", brands[0])
        elif self.brand is not None and not brands:
            brands = (self.brand,)
        _require(not brands or brands[0] == self.brand,
                 f"brand {self.brand!r} must be the first of brands {brands!r}")
        _require(len({b.casefold() for b in brands}) == len(brands),
                 f"brands {brands!r} names a brand twice")
        object.__setattr__(self, "brands", brands)

    @classmethod
    def create(
        cls,
        *,
        source: str,
        native_id: str | None,
        kind: Kind,
        url: str,
        text: str,
        author: Author,
        published_at: datetime | None = None,
        collected_at: datetime | None = None,
        **fields: Any,
    ) -> Mention:
        """Build a mention, deriving `id`, `source_domain` and `content_hash`."""
        return cls(
            id=mention_id(source, native_id, url=url, author=author.name,
                          published_at=published_at, text=text),
            source=source,
            source_domain=(urlsplit(url).hostname or "").removeprefix("www."),
            kind=kind,
            url=url,
            text=text,
            author=author,
            published_at=published_at,
            collected_at=collected_at or datetime.now(UTC),
            content_hash=content_hash(text),
            **fields,
        )

    def with_(self, **changes: Any) -> Mention:
        if "brand" in changes and "brands" not in changes:
            changes["brands"] = ()  # a new primary brand alone: the one brand it names
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; dates as ISO 8601 UTC, rating with its normalized value."""
        data = asdict(self)
        data["published_at"] = self.published_at.isoformat() if self.published_at else None
        data["collected_at"] = self.collected_at.isoformat()
        if self.rating is not None:
            data["rating"]["normalized"] = round(self.rating.normalized, 4)
        data["matched_terms"] = list(self.matched_terms)
        data["aspects"] = [asdict(aspect) for aspect in self.aspects]
        data["citations"] = list(self.citations)
        data["named"] = [asdict(named) for named in self.named]
        data["brands"] = list(self.brands)
        data["brand_replies"] = [_reply_dict(reply) for reply in self.brand_replies]
        if self.advocate is not None:
            data["advocate"]["signals"] = list(self.advocate.signals)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mention:
        """Inverse of `to_dict`; raises RecordError on a bad value."""
        d = dict(data)
        try:
            d["author"] = Author(**d["author"])
            d["engagement"] = Engagement(**(d.get("engagement") or {}))
            if d.get("rating"):
                d["rating"] = Rating(**{k: d["rating"][k] for k in ("value", "best", "worst")})
            for name in ("sentiment", "text_sentiment"):
                if d.get(name):
                    d[name] = Sentiment(**d[name])
            if d.get("advocate"):
                adv = d["advocate"]
                d["advocate"] = Advocate(adv["score"], adv.get("persona"),
                                         tuple(adv.get("signals", ())))
            d["matched_terms"] = tuple(d.get("matched_terms") or ())
            d["aspects"] = tuple(Aspect(**a) for a in d.get("aspects") or ())
            d["citations"] = tuple(d.get("citations") or ())
            d["named"] = tuple(NamedBrand(**n) for n in d.get("named") or ())
            d["brands"] = tuple(d.get("brands") or ())
            d["brand_replies"] = tuple(_reply_from(r) for r in d.get("brand_replies") or ())
            for key in ("published_at", "collected_at"):
                if isinstance(d.get(key), str):
                    d[key] = datetime.fromisoformat(d[key])
            return cls(**d)
        except (KeyError, TypeError) as exc:
            raise RecordError(f"not a mention record: {exc}") from exc


def _reply_order(reply: BrandReply) -> tuple[bool, datetime]:
    return (reply.published_at is None, reply.published_at or datetime.max.replace(tzinfo=UTC))


def _reply_dict(reply: BrandReply) -> dict[str, Any]:
    data = asdict(reply)
    data["published_at"] = reply.published_at.isoformat() if reply.published_at else None
    return data


def _reply_from(data: dict[str, Any]) -> BrandReply:
    at = data.get("published_at")
    return BrandReply(**{**data, "published_at": datetime.fromisoformat(at) if at else None})
