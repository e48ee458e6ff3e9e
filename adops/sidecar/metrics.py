"""`GET /metrics`: the sidecar's Prometheus exposition.

Counters and histograms kept by the domain code as things happen (`adops.metrics`: job durations
and failures by kind, sync rows, delivery attempts, notifications) plus gauges read when scraped:
queue depth per DBOS queue, SSE clients, the outgoing-delivery backlog and held notifications.
"""

from __future__ import annotations

import asyncio
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from adops import metrics


class _Snapshot(Collector):
    """Gauges from values read just before the scrape."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def collect(self):  # type: ignore[no-untyped-def]
        v = self.values
        depth = GaugeMetricFamily(
            "adops_queue_depth", "Jobs waiting or running per queue.", labels=["queue", "state"]
        )
        for queue, counts in (v.get("queues") or {}).items():
            for state, n in counts.items():
                depth.add_metric([queue, state], n)
        yield depth
        yield GaugeMetricFamily(
            "adops_sse_clients", "Connected event-stream clients.", value=v.get("clients", 0)
        )
        yield GaugeMetricFamily(
            "adops_sse_dropped_clients",
            "Event-stream clients dropped for being too slow since start.",
            value=v.get("dropped", 0),
        )
        yield GaugeMetricFamily(
            "adops_webhook_delivery_backlog",
            "Outgoing webhook deliveries not finished yet.",
            value=v.get("backlog", 0),
        )
        yield GaugeMetricFamily(
            "adops_webhook_delivery_oldest_pending_seconds",
            "Age of the oldest unfinished outgoing delivery.",
            value=v.get("oldest_pending_s") or 0,
        )
        yield GaugeMetricFamily(
            "adops_notifications_held", "Notifications held back for a digest.", value=v.get("held", 0)
        )
        yield GaugeMetricFamily(
            "adops_dbos_running", "1 when the jobs engine runs in this sidecar.", value=v.get("dbos", 0)
        )


def exposition(values: dict[str, Any]) -> bytes:
    """The whole text exposition for a snapshot of the live values."""
    live = CollectorRegistry(auto_describe=False)
    live.register(_Snapshot(values))
    return generate_latest(metrics.REGISTRY) + generate_latest(live)


async def endpoint(request: Request, read: Any) -> Response:
    """The /metrics handler; `read()` returns the live values (awaited)."""
    values = await read()
    body = await asyncio.to_thread(exposition, values)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
