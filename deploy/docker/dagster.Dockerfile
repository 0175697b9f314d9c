# syntax=docker/dockerfile:1.7
# Dagster user code (the cofre code location, gRPC server) for Dagster's official Helm chart
# (dagster-user-deployments). Build from the repository root:
#   docker build -f deploy/docker/dagster.Dockerfile -t cofre-dagster .
ARG PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:0000000000000000000000000000000000000000000000000000000000000000
ARG RUST_IMAGE=rust:1-slim-bookworm@sha256:0000000000000000000000000000000000000000000000000000000000000000
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.8@sha256:0000000000000000000000000000000000000000000000000000000000000000

FROM ${UV_IMAGE} AS uv

FROM ${RUST_IMAGE} AS build
COPY --from=uv /uv /uvx /usr/local/bin/
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv python3-dev \
    && rm -rf /var/lib/apt/lists/*
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/opt/cofre
WORKDIR /src
COPY pyproject.toml uv.lock ./
COPY native/ native/
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-install-project -p python3.11
COPY cofre/ cofre/
COPY lake/ lake/
COPY serving/ serving/
COPY models/ models/
COPY features/ features/
COPY pipelines/ pipelines/
COPY sandbox/ sandbox/
COPY README.md workspace.yaml ./
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-editable -p python3.11

FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 cofre && useradd --system --uid 10001 --gid cofre --home /var/lib/cofre cofre \
    && mkdir -p /var/lib/cofre /opt/dagster/app && chown cofre:cofre /var/lib/cofre
COPY --from=build /opt/cofre /opt/cofre
COPY --from=build /src/workspace.yaml /opt/dagster/app/
ENV PATH=/opt/cofre/bin:$PATH COFRE_HOME=/var/lib/cofre DAGSTER_HOME=/var/lib/cofre/dagster PYTHONUNBUFFERED=1
USER 10001:10001
WORKDIR /opt/dagster/app
EXPOSE 3030
# the official chart runs: dagster api grpc -h 0.0.0.0 -p 3030 -m pipelines.definitions
CMD ["dagster", "api", "grpc", "-h", "0.0.0.0", "-p", "3030", "-m", "pipelines.definitions"]
