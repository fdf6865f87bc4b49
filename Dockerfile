# superset-divolte's Superset: the add-on and its dashboards in the official image.
#   docker build -t superset-divolte:0.1.0 .     (stack/docker-compose.yml builds it for you)
FROM apache/superset:6.1.0

USER root
COPY --chown=superset:superset pyproject.toml README.md /build/
COPY --chown=superset:superset superset_config.py /app/superset_divolte_config/superset_config.py
COPY --chown=superset:superset superset_divolte/ /build/superset_divolte/
COPY --chown=superset:superset datasets/ /build/datasets/
COPY --chown=superset:superset dashboards/ /build/dashboards/
COPY --chown=superset:superset stack/druid/ /build/stack/druid/
# The pins are pyproject.toml's (tests/test_stack_docker.py compares them): the Druid
# driver, the Postgres client for the metadata, the Redis client for the caches, and the
# add-on itself with its packaged asset tree (superset-divolte provision uses it by default).
RUN . /app/.venv/bin/activate \
    && uv pip install --no-cache-dir \
        "apache-superset==6.1.0" \
        "pydruid>=0.6.9,<0.7" \
        "psycopg2-binary==2.9.9" \
        "redis>=5,<6" \
        /build \
    && rm -rf /build

ENV SUPERSET_CONFIG_PATH=/app/superset_divolte_config/superset_config.py \
    SUPERSET_HOME=/app/superset_home \
    SUPERSET_PORT=8088
USER superset
EXPOSE 8088
HEALTHCHECK --interval=15s --timeout=10s --start-period=120s --retries=10 \
    CMD curl -fsS http://127.0.0.1:8088/health || exit 1
