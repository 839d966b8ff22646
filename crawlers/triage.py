"""Triage: which written mentions need a response, and why; the inbox (`index.inbox`) keeps
them. A mention needs one when it is:

    negative                  its overall sentiment is negative (a person's correction wins)
    low_rating                a 1-2 star review (other scales read as stars: 2/10 is 1.8)
    negative_aspect           it blames an aspect ("great phone, awful battery")
    question                  it asks something (`sentiment.questions.is_question`)
    advocate_turned_negative  an advocate's turning negative, as `index.advocacy` means it
                              (the alert rule of that name means the same)

A brand's own posts, AI answers and news articles (there is no one to answer) never need
one. When a written mention carries the brand's reply (`brand_replies`), its item is marked
answered by the crawler ("reply captured"), whatever its status was.

`InboxTriage` does this in every crawl, for each batch the index pipeline wrote;
`mentionwatch inbox scan` does it over what the store already holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawlers.pipelines import is_brand_account
from crawlers.signals import index_written
from index.advocacy import (
    Turned,
    author_of,
    earlier_query,
    is_low_rated,
    is_negative,
    stars,
    turned_negative,
)
from index.backend import Filters
from index.inbox import Entry, Inbox, Reason
from index.localstate import CRAWL_TIMEOUT
from index.query import Field, Node, conjoin
from index.record import BrandReply, Mention
from index.stores import open_configured
from sentiment.questions import is_question

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from index.backend import MentionStore

__all__ = ["History", "InboxTriage", "TriageCount", "author_history", "needs_response",
           "triage", "triage_stored"]

_ANSWERABLE = frozenset({"review", "post", "comment"})


@dataclass(frozen=True, slots=True)
class History:
    """What an author (`index.advocacy.author_of`) wrote about the brand before this
    mention."""

    earlier: int = 0  # mentions of it
    turned: Turned | None = None  # when this one is an advocate's turning negative


NO_HISTORY = History()


@dataclass(frozen=True, slots=True)
class TriageCount:
    opened: int  # new inbox items
    answered: int  # items marked answered by a captured reply


def _rating_text(mention: Mention) -> str:
    rating = mention.rating
    assert rating is not None
    if (rating.worst, rating.best) == (1, 5):
        return f"{rating.value:g}-star review"
    return f"rated {rating.value:g} of {rating.worst:g}..{rating.best:g}"


def needs_response(mention: Mention, history: History = NO_HISTORY) -> tuple[Reason, ...]:
    """Why `mention` needs a response (nothing: it does not), given its author's history."""
    reasons: list[Reason] = []
    sentiment = mention.sentiment
    if sentiment and sentiment.label == "negative":
        by = f", corrected by {sentiment.corrected_by}" if sentiment.corrected_by else ""
        reasons.append(Reason("negative", f"negative ({sentiment.score:+.2f}{by})"))
    if is_low_rated(mention):
        reasons.append(Reason("low_rating", _rating_text(mention)))
    if blamed := [a.name for a in mention.aspects if a.polarity == "negative"]:
        reasons.append(Reason("negative_aspect", f"complains about {', '.join(blamed)}"))
    if is_question(f"{mention.title or ''}\n{mention.text}"):
        reasons.append(Reason("question", "asks a question"))
    if turned := history.turned:
        was = f"an advocate ({turned.persona})" if turned.persona else "an advocate"
        many = turned.advocate_mentions
        reasons.append(Reason("advocate_turned_negative",
                              f"was {was} in {many} earlier mention{'s' if many > 1 else ''}"
                              ", now negative"))
    return tuple(reasons)


def _answerable(mention: Mention) -> bool:
    return bool(mention.kind in _ANSWERABLE and not (
        mention.brand and is_brand_account(mention.author, mention.brand)))


def author_history(store: MentionStore, mention: Mention) -> History:
    """The author's earlier mentions of the brand: how many, and, for a negative mention,
    those of the `index.advocacy` window, to judge whether an advocate turned. Both are
    lookups of one author in an index: this runs for every mention triaged."""
    if not mention.brand:
        return NO_HISTORY
    brand = Filters(brand=mention.brand)
    # An undated mention has no "before": the count holds the (written) mention itself.
    before: list[Node] = [Field("author", "=", author_of(mention))]
    if mention.published_at is not None:
        before.append(Field("published", "..", (None, mention.published_at)))
    earlier = store.count(conjoin(before), brand) - (mention.published_at is None)
    if earlier <= 0 or mention.published_at is None or not is_negative(mention):
        return History(max(earlier, 0))
    read = store.export(earlier_query(mention), brand)
    return History(earlier, turned_negative(mention, read))


def _reach(mention: Mention) -> int:
    engagement = mention.engagement
    return sum(n or 0 for n in (mention.author.followers, engagement.likes, engagement.replies,
                                engagement.reposts))


def _entry(mention: Mention, reasons: tuple[Reason, ...], history: History) -> Entry:
    return Entry(
        mention_id=mention.id, brands=mention.brands, source=mention.source, url=mention.url,
        author=mention.author.name, text=mention.text, reasons=reasons,
        reach=_reach(mention), earlier=history.earlier, author_url=mention.author.url,
        title=mention.title, lang=mention.lang, published_at=mention.published_at,
        stars=stars(mention))


def _replied(reply: BrandReply) -> str:
    when = f" on {reply.published_at:%Y-%m-%d %H:%M} UTC" if reply.published_at else ""
    return f"{reply.author} replied{when}"


def triage(store: MentionStore, inbox: Inbox, mentions: Iterable[Mention], *,
           by: str = "crawler", via: str = "crawler", now: datetime | None = None
           ) -> TriageCount:
    """Put the `mentions` that need a response in the inbox (refreshing those already in
    it), and mark answered those the brand has replied to; the audit says `by` and `via`."""
    entries, replied = [], []
    for mention in mentions:
        if not _answerable(mention):
            continue
        if needs_response(mention):  # the author's history adds reasons, never the first
            history = author_history(store, mention)
            entries.append(_entry(mention, needs_response(mention, history), history))
        if mention.brand_replies:
            replied.append(mention)
    opened = inbox.add(entries, by=by, via=via, now=now)
    answered = sum(inbox.reply_captured(m.id, _replied(m.brand_replies[0]), by=by, via=via,
                                        now=now) for m in replied)
    return TriageCount(opened, answered)


def triage_stored(store: MentionStore, inbox: Inbox, *, by: str = "inbox scan",
                  via: str = "cli", batch_size: int = 500,
                  now: datetime | None = None) -> TriageCount:
    """`triage` every mention the store holds, in batches."""
    opened = answered = 0
    mentions = store.export()
    while batch := list(islice(mentions, batch_size)):
        count = triage(store, inbox, batch, by=by, via=via, now=now)
        opened, answered = opened + count.opened, answered + count.answered
    return TriageCount(opened, answered)


class InboxTriage:
    """A Scrapy extension: triages each batch the index pipeline wrote (`index_written`);
    off with `MENTIONWATCH_INBOX_ENABLED = False`."""

    def __init__(self, crawler: Crawler) -> None:
        path = crawler.settings.get("MENTIONWATCH_DB")
        self.store = open_configured(path)
        self.inbox = Inbox(path, timeout=CRAWL_TIMEOUT)
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> InboxTriage:
        if not crawler.settings.getbool("MENTIONWATCH_INBOX_ENABLED"):
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.written, signal=index_written)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def written(self, mentions: list[Mention]) -> None:
        count = triage(self.store, self.inbox, mentions)
        if self.stats is not None:
            self.stats.inc_value("mentionwatch/inbox/opened", count.opened)
            self.stats.inc_value("mentionwatch/inbox/answered", count.answered)

    def spider_closed(self) -> None:
        self.store.close()
        self.inbox.close()
