"""Scrapy settings for mentionwatch: every crawler default lives here.

Ours are prefixed MENTIONWATCH_. Politeness is on by default: robots.txt, AutoThrottle,
an identifying User-Agent, low per-domain concurrency and retries.
"""

BOT_NAME = "mentionwatch"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

USER_AGENT = "mentionwatch/0.1 (+https://github.com/mentionwatch/mentionwatch; review monitor)"
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Items of one response processed at once. Scrapy's 100 starts 100 tasks per response,
# which cost more than reading a page of reviews; one sentiment batch (32) still fills.
CONCURRENT_ITEMS = 32
# Every request ends within DOWNLOAD_TIMEOUT seconds and every response is cut at
# DOWNLOAD_MAXSIZE bytes (counted as mentionwatch/refused/too_large): a hostile site cannot
# hold the crawl or its memory. Sitemaps unpack to at most MAX_SITEMAP_BYTES on top.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
# Only http(s) is ever fetched: the handlers for local files, data:, S3 and FTP are off (the
# address guard refuses those URLs first; this holds even if it were bypassed).
DOWNLOAD_HANDLERS = {"file": None, "data": None, "s3": None, "ftp": None}
# Vets every DNS answer a connection uses (crawlers/resolver.py).
TWISTED_DNS_RESOLVER = "crawlers.resolver.GuardedResolver"
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
COOKIES_ENABLED = False
# No control ports: Scrapy's telnet console and its remote control (an HTTP server that
# runs Python sent to it, its port and token written to a job file) are for debugging.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "INFO"
# No log record is made for a message below LOG_LEVEL (one per page and per mention).
LOG_FORMATTER = "crawlers.logformatter.LevelLogFormatter"

DOWNLOADER_MIDDLEWARES = {
    "crawlers.middlewares.AddressGuardMiddleware": 50,  # first: before robots.txt is asked
    # Credentials, each on its own spider's requests only, after the guard: a refused
    # address never sees one. Here, not in the spiders' settings, so that every list of
    # middlewares (a shared frontier's too) has them.
    "crawlers.spiders.ai_answers.EngineKeyMiddleware": 60,
    "crawlers.spiders.bluesky.BlueskySessionMiddleware": 60,
    # Scrapy's retry, made to wait for Retry-After.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.middlewares.RetryAfterMiddleware": 550,
    # Off, as it costs every request a call: no spider sets HTTPAUTH_* or http_user
    # (Bluesky sends its own Authorization header).
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
}
SPIDER_MIDDLEWARES = {
    "crawlers.resume.ResumeMiddleware": 10,  # next to the engine: sees the final output
    # Off, as it costs every request and mention a pass: with no DEPTH_LIMIT, depth is
    # only a stat nobody reads. (RefererMiddleware stays: the redirect middlewares warn
    # at every crawl without it.)
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
}
EXTENSIONS = {
    "crawlers.coverage.CoverageExtension": 500,
    "crawlers.triage.InboxTriage": 600,
}
ITEM_PIPELINES = {
    "crawlers.pipelines.DedupePipeline": 100,
    "crawlers.pipelines.SentimentPipeline": 300,
    "crawlers.pipelines.IndexPipeline": 800,
}

# Where mentions are written: a SQLite file (the embedded default).
MENTIONWATCH_DB = "mentionwatch.db"
# Sentiment model: the offline default, a hub name or a local checkpoint path.
MENTIONWATCH_MODEL = "e5-small-lora"  # sentiment.DEFAULT_MODEL
MENTIONWATCH_SENTIMENT_ENABLED = True
MENTIONWATCH_SENTIMENT_BATCH_SIZE = 32
# Seconds a mention waits for its sentiment batch to fill before it is scored anyway.
MENTIONWATCH_SENTIMENT_MAX_WAIT = 0.5
# Each brand's own aspect terms beyond the seed vocabulary, {brand: [term, ...]};
# `run_crawl` fills it from the watchlist's `aspects`.
MENTIONWATCH_ASPECTS: dict[str, list[str]] = {}
# Every watched brand's terms, {brand: [term, ...]}, which AI answers are searched for;
# `run_crawl` fills it from the watchlist.
MENTIONWATCH_BRAND_TERMS: dict[str, list[str]] = {}
MENTIONWATCH_INDEX_BATCH_SIZE = 200
# Triage each written batch into the inbox (crawlers/triage.py).
MENTIONWATCH_INBOX_ENABLED = True
# Loopback addresses (127.0.0.0/8, ::1) are allowed when this is on (tests and the demo serve
# on 127.0.0.1). Private, link-local, carrier-grade NAT and other non-global addresses are
# refused even then.
MENTIONWATCH_ALLOW_LOOPBACK = False
# Hosts the admin trusts although their addresses are private or loopback (a model server on
# the LAN): `host[:port]` entries, comma or space separated (crawlers/addresses.py
# PrivateHosts). Exactly these pass the address guard; any other host is judged as ever.
MENTIONWATCH_PRIVATE_HOSTS = ""
# Seconds a stopped crawl (SIGTERM, Ctrl-C) waits for running requests before it is forced
# to end; every mention parsed so far is indexed, and the next crawl resumes the rest
# (crawlers/resume.py).
MENTIONWATCH_STOP_TIMEOUT = 5.0
# Pages read per watched API or listing source (Reddit, Hacker News, Mastodon, ...) per crawl.
MENTIONWATCH_MAX_PAGES = 10
# Bluesky threads (replies of posts naming a brand) read per crawl; the rest wait for the next.
MENTIONWATCH_BLUESKY_MAX_THREADS = 50
# Longest Retry-After (seconds) a retry waits for; a longer one gives that request up.
MENTIONWATCH_RETRY_AFTER_MAX = 120.0
# Stop paging a source at the first page an earlier crawl saw entirely (crawlers/state.py).
MENTIONWATCH_INCREMENTAL = True
# Backfill (`crawl --since`): an ISO 8601 UTC time. Sources that page by time keep paging,
# past pages an earlier crawl saw, until they reach mentions older than it.
MENTIONWATCH_SINCE = None
# Pages read per API or listing source in a backfill (instead of MENTIONWATCH_MAX_PAGES).
MENTIONWATCH_BACKFILL_MAX_PAGES = 100
# Keep the crawl frontier in the index file, so a killed crawl resumes (crawlers/resume.py).
MENTIONWATCH_RESUME = True
# Scale-out (docs/SCALE_OUT.md): the Redis server crawlers share a frontier and incremental
# state on and add raw mentions to, for `mentionwatch worker` to score and index. None: one
# process crawls, scores and indexes (the embedded default).
MENTIONWATCH_REDIS_URL = None
# Seconds a crawler holds a request it took from the shared frontier; past that (it died) the
# request is handed to another. Above the longest a page may take (timeouts, retries).
MENTIONWATCH_REDIS_LEASE = 300.0
# Leases a request may run out before it is counted as failed and given up.
MENTIONWATCH_REDIS_MAX_ATTEMPTS = 3
# Seconds between the starts of two requests to one domain, across every crawler sharing the
# frontier (0: off).
MENTIONWATCH_REDIS_DELAY = 1.0
