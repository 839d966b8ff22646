"""The mention stream between crawlers and workers: crawlers add raw mentions to it
(`StreamPipeline`), `mentionwatch worker` processes score, enrich and index them
(`crawlers.worker`). A message is one mention as JSON (`Mention.to_dict`) under `mention`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured

from crawlers.shared import Keys, connect
from index.record import Mention

if TYPE_CHECKING:
    import redis
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

__all__ = ["StreamPipeline", "decode", "encode"]


def encode(mention: Mention) -> dict[str, str]:
    return {"mention": json.dumps(mention.to_dict(), ensure_ascii=False)}


def decode(fields: dict[bytes, bytes]) -> Mention:
    """The mention of a stream message; raises RecordError (a ValueError) when it is not one."""
    return Mention.from_dict(json.loads(fields[b"mention"]))


class StreamPipeline:
    """Adds each mention to the Redis stream (MENTIONWATCH_REDIS_URL) in place of scoring and
    indexing it here. The add returns once Redis has the message, so a page's lease
    (`crawlers.frontier.LeaseMiddleware`) ends only after its mentions are safe."""

    def __init__(self, client: redis.Redis, stats: StatsCollector | None) -> None:
        self.client = client
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StreamPipeline:
        url = crawler.settings.get("MENTIONWATCH_REDIS_URL")
        if not url:
            raise NotConfigured("MENTIONWATCH_REDIS_URL is not set")
        return cls(connect(url), crawler.stats)

    def process_item(self, item: Mention) -> Mention:
        self.client.xadd(Keys.stream, encode(item))  # type: ignore[arg-type]
        if self.stats is not None:
            self.stats.inc_value("mentionwatch/queued")
        return item

    def close_spider(self) -> None:
        self.client.close()
