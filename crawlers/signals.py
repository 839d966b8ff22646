"""mentionwatch's own Scrapy signals, sent with `crawler.signals.send_catch_log`."""

#: Sent after the index pipeline has committed a batch of mentions, with the batch
#: (`mentions`, a list of `Mention`); a receiver may leave that argument out.
index_written = object()

#: Sent when a crawl's stop is forced (MENTIONWATCH_STOP_TIMEOUT passed), just before the
#: reactor stops: `spider_closed` never comes then, so this is the moment to write what a
#: clean close would.
stop_forced = object()
