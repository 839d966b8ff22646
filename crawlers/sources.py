"""Every source type the crawler knows: the registration of each type's options, declared
beside its spider in `crawlers/spiders/<type>.py`.

`Source` is what a `[[brands.sources]]` table of the watchlist may be, chosen by its `type`;
`api/watchlist.py` puts it into the file's model, and `crawlers.run` starts each source's
`spider`. Adding a source type: docs/SOURCE_TYPES.md.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from crawlers.spiders.ai_answers import AiAnswersSource
from crawlers.spiders.appstore import AppStoreSource
from crawlers.spiders.bluesky import BlueskySource
from crawlers.spiders.feed import FeedSource
from crawlers.spiders.googleplay import GooglePlaySource
from crawlers.spiders.hackernews import HackerNewsSource
from crawlers.spiders.mastodon import MastodonSource
from crawlers.spiders.reddit import RedditSource
from crawlers.spiders.schemaorg import SchemaOrgSource
from crawlers.spiders.trustpilot import TrustpilotSource
from index.watchlist import TAG

__all__ = ["Source"]

# In the order an unknown `type` lists them.
Source = Annotated[
    SchemaOrgSource | FeedSource | RedditSource | HackerNewsSource | MastodonSource
    | AppStoreSource | TrustpilotSource | BlueskySource | GooglePlaySource | AiAnswersSource,
    Field(discriminator=TAG),
]
