# policy-watcher as a one-shot container: `docker run ... watcher` runs one check cycle and exits (cron, k8s).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN useradd --create-home --uid 10001 watcher
WORKDIR /app
COPY pyproject.toml README.md ./
COPY watcher ./watcher
RUN pip install --no-cache-dir . && mkdir -p /data/snapshots && chown -R watcher /data

USER watcher
WORKDIR /data
# The database lives in /data/snapshots (config: storage: snapshots/watcher.db); mount config.yaml at /data.
VOLUME ["/data/snapshots"]
ENTRYPOINT ["watcher"]
CMD ["run"]
