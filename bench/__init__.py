"""The benchmarks behind ``mentionwatch bench``, one module per command; each returns its
figures as a dict the CLI prints as JSON (docs/BENCHMARKS.md has the runs).

They sit above every package they measure (``bench.api`` uses ``bench.index``'s synthetic
corpus): the runtime never imports them (``tests/test_tooling.py`` checks), only the CLI's
``bench`` commands do, when run.
"""
