"""The application's settings: one typed class, read from MENTIONWATCH_* environment variables.

Crawler (Scrapy) settings live in crawlers/settings.py; these are the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from crawlers.addresses import PrivateHosts
from sentiment.loader import DEFAULT_MODEL

__all__ = ["DEMO_DIR", "DbFile", "NoIndexFile", "Settings", "find_db"]

#: Where `mentionwatch demo` writes its watchlist and index unless told otherwise.
DEMO_DIR = Path("demo-data")
_DB_NAME = "mentionwatch.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MENTIONWATCH_", extra="forbid", frozen=True)

    db: Path = Field(Path(_DB_NAME), description="SQLite file of the embedded index.")
    watchlist: Path = Field(Path("mentionwatch.toml"), description="The watchlist file.")
    model: str = Field(DEFAULT_MODEL, description="Sentiment model: the offline default "
                       "(e5-small fine-tuned), e5-small-head (frozen e5-small), an adapter "
                       "file, a Hugging Face hub name or a local checkpoint path.")
    heads: Path | None = Field(None, description="Directory of refit heads (written by "
                               "`mentionwatch model refit`) the e5 model they were refit for "
                               "uses instead of the committed ones.")
    host: str = Field("127.0.0.1", description="Address `serve` listens on.")
    port: int = Field(8000, description="Port `serve` listens on.")
    workers: int = Field(1, ge=1, description="Processes `serve` answers requests with: one "
                         "per core for throughput, as a process runs Python on one core.")
    auth: bool = Field(True, description="Require API keys. Off only for trusted local use: "
                       "`serve --get` turns it off, as its caller can read the file anyway.")
    max_page_size: int = Field(100, description="Largest `size` a search may ask for.")
    outreach_cooldown_days: int = Field(30, ge=0, le=3650, description="Days after "
                                        "contacting an advocate before another contact may "
                                        "be recorded (unless forced).")
    allow_loopback: bool = Field(False, description="Let alert notifiers (webhook, SMTP) and "
                                 "the reply-drafting engine "
                                 "reach loopback addresses: for tests and the demo only; no "
                                 "other private address is allowed but the engine's, when "
                                 "`private_hosts` lists it.")
    private_hosts: str = Field("", description="Hosts (`host[:port]`, comma or space "
                               "separated) the crawl and the reply-drafting engine may reach "
                               "although their addresses are private or loopback: a model "
                               "server on the LAN. List only services you run.")
    redis_url: str | None = Field(None, description="Scale-out (docs/SCALE_OUT.md): the Redis "
                                  "server `crawl` shares its frontier on and queues mentions "
                                  "to, which `worker` and `status` read (`--queue`).")

    @field_validator("private_hosts")
    @classmethod
    def _private_hosts_parse(cls, value: str) -> str:
        PrivateHosts.parse(value)  # a malformed entry fails when the settings are read
        return value

    def trusted_hosts(self) -> PrivateHosts:
        """`private_hosts`, parsed."""
        return PrivateHosts.parse(self.private_hosts)


class NoIndexFile(FileNotFoundError):
    """Raised by `find_db` when a command that only reads finds no index file to read."""


@dataclass(frozen=True, slots=True)
class DbFile:
    path: Path
    reason: str  # why this file, told to the user: "--db", "MENTIONWATCH_DB", ...


def find_db(given: Path | None = None, *, watchlist: Path | None = None,
            create: bool = False) -> DbFile:
    """The SQLite file a command uses: `given` (--db), else `MENTIONWATCH_DB`, else the first
    `mentionwatch.db` that exists beside the watchlist (when one is named), in the current
    folder or in the demo's folder; else, when `create`, a new one in the first of those.

    Raises `NoIndexFile` when the file is not there and `create` is false: a command that only
    reads never leaves an empty file behind.
    """
    settings = Settings()
    if given is not None:
        found = DbFile(given, "--db")
    elif "db" in settings.model_fields_set:
        found = DbFile(settings.db, "MENTIONWATCH_DB")
    else:
        if watchlist is None and "watchlist" in settings.model_fields_set:
            watchlist = settings.watchlist
        return _default_db(watchlist, create)
    if not create and not found.path.exists():
        raise NoIndexFile(f"no index file at {found.path} (from {found.reason}): name an "
                          "existing one; `mentionwatch crawl` makes one")
    return found


def _default_db(watchlist: Path | None, create: bool) -> DbFile:
    candidates = [DbFile(Path(_DB_NAME), "in the current folder"),
                  DbFile(DEMO_DIR / _DB_NAME, "in the demo's folder")]
    if watchlist is not None and watchlist.parent != Path():
        candidates.insert(0, DbFile(watchlist.parent / _DB_NAME, "beside the watchlist"))
    found = next((c for c in candidates if c.path.exists()), None)
    if found is not None:
        return found
    if create:
        return DbFile(candidates[0].path, f"new, {candidates[0].reason}")
    looked = ", ".join(str(c.path) for c in candidates)
    raise NoIndexFile(f"no index file: looked for {looked}. Give --db FILE or set "
                      "MENTIONWATCH_DB, or make one with `mentionwatch crawl` (or `make demo`)")
