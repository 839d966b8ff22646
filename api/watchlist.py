"""The watchlist file (`mentionwatch.toml`) as a whole: brands with their sources, alert
rules with their notifiers, mailed reports, and reply drafts.

Each part is declared beside its code: a source type's options beside its spider
(`crawlers/spiders/<type>.py`, registered in `crawlers/sources.py`), a rule type's beside the
rule (`api/alerts/rules.py`), a notifier's beside the notifier (`api/alerts/notifiers.py`);
the file's shape and its error messages are `index/watchlist.py`'s. The model is composed
here because `api` is the one layer that may import both `crawlers` and `api.alerts`.
"""

from __future__ import annotations

from pathlib import Path

from api.alerts.rules import AlertOptions
from api.drafts import DraftOptions
from api.reports.options import ReportOptions
from crawlers.sources import Source
from index.watchlist import Brand, Watchlist, read_toml, validate_toml

__all__ = ["WatchedBrand", "WatchlistFile", "load_watchlist", "parse_watchlist"]


# Named classes, not bare `Brand[Source]`: the crawl's frontier pickles requests with their
# brand, and pickle finds a class by its name.
class WatchedBrand(Brand[Source]):
    """A `[[brands]]` table, each of its sources checked by its own type's options."""


class WatchlistFile(Watchlist[WatchedBrand, AlertOptions]):
    """Every table the file may hold."""

    # Mailed digests (`mentionwatch report send`); their options beside them, in
    # api/reports/options.py.
    reports: tuple[ReportOptions, ...] = ()
    # Reply templates and the AI engine that drafts replies (`api/drafts.py`).
    drafts: DraftOptions = DraftOptions()


def load_watchlist(path: str | Path) -> WatchlistFile:
    """Read and validate a watchlist file; a WatchlistError names the file, line and
    problem, one line each."""
    return read_toml(path, WatchlistFile)


def parse_watchlist(text: str, origin: str = "watchlist") -> WatchlistFile:
    """Validate watchlist TOML text; errors name `origin`, the line and the problem."""
    return validate_toml(text, WatchlistFile, origin)
