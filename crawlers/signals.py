"""mentionwatch's own Scrapy signals, sent with `crawler.signals.send_catch_log`."""

#: Sent after the index pipeline has committed a batch of mentions, with the batch
#: (`mentions`, a list of `Mention`); a receiver may leave that argument out.
index_written = object()
