"""Pure extraction: page or feed bytes in, `Mention` records out (and, on social networks,
the brand's accounts' replies, `accounts.AccountReply`); no Scrapy objects, no I/O.

One module per source type (`schemaorg`, `feed`) and per shared concern (`rating`, `dates`,
`language`, `links`, `markup`, `accounts`). Import from the modules: this package
re-exports nothing, so using one extractor does not load the others' parsers.
"""

__all__: list[str] = []
