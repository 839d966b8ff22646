"""Scrapy's log messages for crawled pages, scraped and dropped items, built only when
the crawl's LOG_LEVEL lets them through.

Scrapy's root handler filters by LOG_LEVEL, but only after the message's record has been
made: at the default INFO, every page and every mention still costs a DEBUG record that
nobody sees. Returning None (Scrapy's documented way to skip a message) avoids that. The
`log_count/*` stats are unchanged: Scrapy counts only records at LOG_LEVEL or above.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Self

from scrapy.logformatter import LogFormatter, LogFormatterResult

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure

__all__ = ["LevelLogFormatter"]


class LevelLogFormatter(LogFormatter):
    def __init__(self, level: int) -> None:
        self.level = level

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        level = crawler.settings.get("LOG_LEVEL")
        if isinstance(level, str):
            names = logging.getLevelNamesMapping()
            if level.upper() not in names:
                raise ValueError(f"LOG_LEVEL {level!r} is not a logging level; use one of "
                                 "DEBUG, INFO, WARNING, ERROR, CRITICAL")
            level = names[level.upper()]
        return cls(int(level))

    def crawled(self, request: Request, response: Response, spider: Spider
                ) -> LogFormatterResult | None:
        if self.level > logging.DEBUG:
            return None  # its level is DEBUG: known before the message is made
        return super().crawled(request, response, spider)

    def scraped(self, item: Any, response: Response | Failure | None, spider: Spider
                ) -> LogFormatterResult | None:
        if self.level > logging.DEBUG:
            return None
        return super().scraped(item, response, spider)

    def dropped(self, item: Any, exception: BaseException, response: Response | Failure | None,
                spider: Spider) -> LogFormatterResult | None:
        # Its level comes from the exception or DEFAULT_DROPITEM_LOG_LEVEL (WARNING).
        result = super().dropped(item, exception, response, spider)
        return result if result["level"] >= self.level else None
