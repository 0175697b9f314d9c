"""Tracing and structured logs of the gateway (OpenTelemetry).

:func:`setup_tracing` gives each app its own tracer provider (resource ``service.name=cofre-gateway``)
and instruments FastAPI (one server span per request, route template as its name), SQLAlchemy (the
gateway's engine) and httpx (the identity providers' and other outbound clients). Every request gets
a span context, so every log line and problem+json answer carries a trace id; spans are recorded and
leave the process only when ``COFRE_OTLP_TRACES_ENDPOINT`` names an OTLP/HTTP collector (batch
export). Without one, the sampler records nothing (the spans are the SDK's non-recording spans: ids
only, no attributes, no events) and the SQLAlchemy statements are not instrumented at all: spans
nobody can read were about a fifth of a fraud score's CPU. ``COFRE_TRACING=false`` turns all of it off.

:class:`JsonFormatter` writes one JSON object per log line with ``trace_id``/``span_id`` of the
current span; ``cofre serve`` installs it (``--log-format json``, the default).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider, sampling

SERVICE = "cofre-gateway"


def current_ids() -> tuple[str | None, str | None]:
    """(trace id, span id) of the current span as lowercase hex, or (None, None) outside a trace."""
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None, None
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")


def tracer_provider(endpoint: str | None) -> TracerProvider:
    """The gateway's provider: records and batch-exports spans to ``endpoint``; without one it
    samples nothing, so spans carry ids (for logs and problems) and cost no attributes or export."""
    sampler = sampling.ParentBased(sampling.ALWAYS_ON) if endpoint else sampling.ALWAYS_OFF
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE}), sampler=sampler)
    if endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    return provider


def setup_tracing(app: Any, settings: Any, engine: Any) -> TracerProvider | None:
    """Instrument ``app`` (FastAPI), ``engine`` (SQLAlchemy) and httpx; returns the provider."""
    if not getattr(settings, "tracing", True):
        return None
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    provider = tracer_provider(settings.otlp_traces_endpoint)
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, excluded_urls="/health,/metrics", exclude_spans=["receive", "send"]
    )
    if settings.otlp_traces_endpoint:  # statement spans only where someone can read them
        _trace_engine(engine, provider)
    # httpx is patched process-wide: bound to the latest gateway built (a process serves one)
    httpx_tracing = HTTPXClientInstrumentor()
    if httpx_tracing.is_instrumented_by_opentelemetry:
        httpx_tracing.uninstrument()
    httpx_tracing.instrument(tracer_provider=provider)
    app.state.tracer_provider = provider
    return provider


def _trace_engine(engine: Any, provider: TracerProvider) -> None:
    """The SQLAlchemy instrumentation's engine tracer on this engine only (its instrumentor is a
    process-wide singleton that would trace the first app's engine alone)."""
    from opentelemetry.instrumentation.sqlalchemy import __name__ as scope
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.instrumentation.sqlalchemy.version import __version__
    from opentelemetry.metrics import NoOpMeterProvider

    tracer = trace.get_tracer(scope, __version__, provider)
    usage = NoOpMeterProvider().get_meter(scope).create_up_down_counter("db.client.connections.usage")
    # the instrumentation package has no annotations on EngineTracer
    EngineTracer(tracer, engine, usage, False, {}, False)  # type: ignore[no-untyped-call]


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, trace and span ids, exception text."""

    def format(self, record: logging.LogRecord) -> str:
        trace_id, span_id = current_ids()
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "trace_id": trace_id,
            "span_id": span_id,
        }
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def log_config(level: str = "info") -> dict[str, Any]:
    """A logging dictConfig (for uvicorn too) with every logger writing JSON lines to stderr."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    lvl = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"json": handler},
        "root": {"handlers": ["json"], "level": lvl},
        "loggers": {
            name: {"handlers": ["json"], "level": lvl, "propagate": False}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }
