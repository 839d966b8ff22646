"""The application's settings: one typed class, read from MENTIONWATCH_* environment variables.

Crawler (Scrapy) settings live in crawlers/settings.py; these are the rest.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from sentiment.loader import DEFAULT_MODEL

__all__ = ["Settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MENTIONWATCH_", extra="forbid", frozen=True)

    db: Path = Field(Path("mentionwatch.db"), description="SQLite file of the embedded index.")
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
    allow_loopback: bool = Field(False, description="Let alert notifiers (webhook, SMTP) "
                                 "reach loopback addresses: for tests and the demo only; no "
                                 "other private address is ever allowed.")
