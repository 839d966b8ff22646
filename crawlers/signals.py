"""mentionwatch's own Scrapy signals, sent with `crawler.signals.send_catch_log`."""

#: Sent (no arguments) after the index pipeline has committed a batch of mentions.
index_written = object()
