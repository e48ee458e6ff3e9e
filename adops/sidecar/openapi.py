"""The sidecar's HTTP API as an OpenAPI 3.1 document, served at `GET /openapi.json`.

Kept by hand beside the routes (each answer and refusal as the handlers give it);
tests/sidecar/test_openapi.py checks it against `create_app().routes` both ways, so a route
without a description, or a description of a route that is gone, fails the tests. The docs site
renders the same document (docs/hooks/reference.py).
"""

from __future__ import annotations

import copy
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

__all__ = ["document", "endpoint"]


def document() -> dict[str, Any]:
    """A fresh copy of the OpenAPI document (callers may change it)."""
    doc = copy.deepcopy(_DOCUMENT)
    doc["info"]["version"] = _version()
    return doc


async def endpoint(request: Request) -> JSONResponse:
    """`GET /openapi.json`."""
    return JSONResponse(document())


def _version() -> str:
    try:
        return version("adops")
    except PackageNotFoundError:  # a checkout used without `pip install -e .`
        return "0.0.0"


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_EVENT_ID = {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer", "minimum": 1}}}

_DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Ad Ops Command Center sidecar",
        "version": "",
        "description": (
            "The HTTP surface of `adops serve`: health and metrics, the event stream (Server-Sent "
            "Events), storing events, and incoming Standard Webhooks. Every refusal is a JSON "
            "`Error` with a 4xx status (a 500 only for the sidecar's own settings)."
        ),
        "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
    },
    "servers": [{"url": "http://127.0.0.1:8765", "description": "the default `adops serve`"}],
    "components": {
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error", "kind"],
                "properties": {
                    "error": {"type": "string", "description": "one line saying what is wrong"},
                    "kind": {
                        "type": "string",
                        "enum": ["input", "config", "not_found", "conflict", "external", "error"],
                    },
                },
            },
            "NewEvent": {
                "type": "object",
                "required": ["type", "data"],
                "additionalProperties": False,
                "properties": {
                    "type": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,100}$"},
                    "data": {"type": "object"},
                },
            },
        },
        "securitySchemes": {
            "apiToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "`ADOPS_API_TOKEN`",
            },
            "eventsToken": {
                "type": "apiKey",
                "in": "query",
                "name": "token",
                "description": "a short-lived token the app mints for its browser (`mint_events_token`)",
            },
            "standardWebhooks": {
                "type": "apiKey",
                "in": "header",
                "name": "webhook-signature",
                "description": (
                    "`v1,<base64 HMAC-SHA256 of id.timestamp.body>` keyed by the source's `whsec_` "
                    "secret, with `webhook-id` and `webhook-timestamp`"
                ),
            },
        },
    },
    "paths": {
        "/health": {
            "get": {
                "summary": "Whether the sidecar, its store, warehouse, jobs and event hub are well",
                "operationId": "health",
                "tags": ["operations"],
                "responses": {
                    "200": _json(
                        "all parts answer",
                        {
                            "type": "object",
                            "required": ["status"],
                            "properties": {
                                "status": {"type": "string", "enum": ["ok"]},
                                "store": {},
                                "warehouse": {},
                                "events": {
                                    "type": "object",
                                    "properties": {
                                        k: {"type": "number"}
                                        for k in (
                                            "clients",
                                            "last_id",
                                            "dropped",
                                            "flushes",
                                            "flush_ms_total",
                                            "flush_ms_max",
                                        )
                                    },
                                },
                            },
                        },
                    ),
                    "503": _json("a part does not answer; the body says which", {"type": "object"}),
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus text exposition (jobs, queues, event hub, deliveries, syncs)",
                "operationId": "metrics",
                "tags": ["operations"],
                "responses": {
                    "200": {
                        "description": "the metrics",
                        "content": {"text/plain; version=0.0.4": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
        "/events": {
            "get": {
                "summary": "The event stream (text/event-stream): a replay after an id, then live",
                "operationId": "streamEvents",
                "tags": ["events"],
                "description": (
                    "Frames `id`, `event`, `data` (JSON). Open on loopback; beyond it needs the API "
                    "token or an events token. At most 2,000 streams at once."
                ),
                "security": [{}, {"apiToken": []}, {"eventsToken": []}],
                "parameters": [
                    {
                        "name": "Last-Event-ID",
                        "in": "header",
                        "schema": {"type": "string", "pattern": "^[0-9]+$"},
                        "description": "replay the stored events after this id",
                    },
                    {
                        "name": "since",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 0},
                        "description": "replay after this id on a first connection (`after` is the older name)",
                    },
                    {
                        "name": "types",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "up to 20 comma-separated types; a trailing `*` matches a prefix",
                    },
                ],
                "responses": {
                    "200": {
                        "description": "the stream",
                        "content": {"text/event-stream": {"schema": {"type": "string"}}},
                    },
                    "400": _error("a malformed `Last-Event-ID`, `since` or `types`"),
                    "401": _error("beyond loopback without a valid token"),
                    "503": _error("too many streams; retry after `Retry-After`"),
                },
            },
            "post": {
                "summary": "Store an event and fan it out",
                "operationId": "postEvent",
                "tags": ["events"],
                "security": [{"apiToken": []}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewEvent"}}},
                },
                "responses": {
                    "201": _json("stored", _EVENT_ID),
                    "400": _error("not UTF-8 JSON of the NewEvent shape, or nested over 64 levels"),
                    "401": _error("no or a wrong bearer token, or `ADOPS_API_TOKEN` unset"),
                    "413": _error("a body over 1 MB"),
                },
            },
        },
        "/webhooks/{source}": {
            "post": {
                "summary": "Receive a Standard Webhooks delivery; store it once; start the jobs its rules match",
                "operationId": "receiveWebhook",
                "tags": ["webhooks"],
                "security": [{"standardWebhooks": []}],
                "parameters": [
                    {
                        "name": "source",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^[a-z0-9_-]{1,64}$"},
                    },
                    {"name": "webhook-id", "in": "header", "required": True, "schema": {"type": "string"}},
                    {
                        "name": "webhook-timestamp",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^[0-9]+$"},
                        "description": "whole seconds, within 5 minutes of the sidecar's clock",
                    },
                ],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {}}}},
                "responses": {
                    "202": _json(
                        "stored (and the listed jobs queued)",
                        {
                            "type": "object",
                            "required": ["id"],
                            "properties": {
                                "id": {"type": "integer"},
                                "jobs": {"type": "array", "items": {"type": "string"}},
                            },
                        },
                    ),
                    "200": _json(
                        "a redelivery of a stored webhook-id: nothing new",
                        {
                            "type": "object",
                            "properties": {
                                "duplicate": {"const": True},
                                "id": {"type": "integer"},
                                "jobs": {"type": "array", "items": {"type": "string"}},
                            },
                        },
                    ),
                    "400": _error("malformed headers or body"),
                    "401": _error("no secret for this source, or a bad, missing or stale signature"),
                    "404": _error("a source name outside 1-64 of a-z 0-9 _ -"),
                    "409": _error("this webhook-id was received for another source"),
                    "413": _error("a body over 1 MB"),
                    "500": _error("the sidecar's webhook settings need attention (details in its log)"),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "operationId": "openapi",
                "tags": ["operations"],
                "responses": {"200": _json("OpenAPI 3.1", {"type": "object"})},
            }
        },
    },
}
