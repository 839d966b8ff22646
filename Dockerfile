# The mentionwatch image compose.yaml runs as the API, crawler and worker services
# (docs/SCALE_OUT.md). CPU only: torch is pinned and installed first, as `make install` does.
FROM python:3.11-slim
WORKDIR /app
RUN pip install --no-cache-dir torch==2.13.0
COPY pyproject.toml README.md ./
COPY api api
COPY bench bench
COPY crawlers crawlers
COPY index index
COPY sentiment sentiment
RUN pip install --no-cache-dir '.[scale]' \
    && python -m sentiment.checkpoint
ENTRYPOINT ["mentionwatch"]
