"""Fake Slack and Discord webhook receivers that answer as the services document.

Slack incoming webhooks (api.slack.com/messaging/webhooks, "Handling errors"): POST JSON; 200 with
the text body `ok`; 400 `invalid_payload` (not JSON), `no_text` (neither text nor blocks),
`invalid_blocks` (a block over its limits: header 150 characters, section text 3,000, 10 fields of
2,000, 50 blocks); 404 `no_service` (an unknown hook); 429 with `Retry-After` when rate limited.

Discord execute webhook (discord.com/developers/docs/resources/webhook#execute-webhook): POST
JSON; 204 No Content; 400 `{"code": 50006, "message": "Cannot send an empty message"}` without
content or embeds, `{"code": 50035, "message": "Invalid Form Body"}` over the limits (content
2,000; 10 embeds; title 256, description 4,096, 25 fields of 256/1,024, footer 2,048, 6,000 in
all); 429 `{"message": "You are being rate limited.", "retry_after": <seconds>, "global": false}`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Slack:
    path: str = "/services/T000/B000/XXXXSECRET"
    rate_limited: int = 0  # answer 429 to this many requests first
    messages: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, request: dict[str, Any]) -> Answer:
        if request["path"] != self.path:
            return 404, {"content-type": "text/plain"}, b"no_service"
        if self.rate_limited > 0:
            self.rate_limited -= 1
            return 429, {"Retry-After": "1", "content-type": "text/plain"}, b"rate_limited"
        try:
            body = json.loads(request["body"])
        except ValueError:
            return 400, {"content-type": "text/plain"}, b"invalid_payload"
        if not isinstance(body, dict) or not (body.get("text") or body.get("blocks")):
            return 400, {"content-type": "text/plain"}, b"no_text"
        if not _blocks_ok(body.get("blocks") or []):
            return 400, {"content-type": "text/plain"}, b"invalid_blocks"
        self.messages.append(body)
        return 200, {"content-type": "text/plain"}, b"ok"


def _blocks_ok(blocks: list[dict[str, Any]]) -> bool:
    if len(blocks) > 50:
        return False
    for b in blocks:
        if b.get("type") == "header" and (b["text"]["type"] != "plain_text" or len(b["text"]["text"]) > 150):
            return False
        if b.get("type") == "section":
            if "text" in b and len(b["text"]["text"]) > 3000:
                return False
            fields = b.get("fields") or []
            if len(fields) > 10 or any(len(f["text"]) > 2000 for f in fields):
                return False
    return True


@dataclass
class Discord:
    path: str = "/api/webhooks/123/SECRETTOKEN"
    rate_limited: int = 0
    retry_after: float = 0.2
    messages: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, request: dict[str, Any]) -> Answer:
        def error(status: int, code: int, message: str) -> Answer:
            return (
                status,
                {"content-type": "application/json"},
                json.dumps({"code": code, "message": message}).encode(),
            )

        if request["path"].split("?")[0] != self.path:
            return error(404, 10015, "Unknown Webhook")
        if self.rate_limited > 0:
            self.rate_limited -= 1
            body = {
                "message": "You are being rate limited.",
                "retry_after": self.retry_after,
                "global": False,
            }
            return 429, {"content-type": "application/json"}, json.dumps(body).encode()
        try:
            body = json.loads(request["body"])
        except ValueError:
            return error(400, 50109, "The request body contains invalid JSON.")
        if not (body.get("content") or body.get("embeds")):
            return error(400, 50006, "Cannot send an empty message")
        if not _embeds_ok(body):
            return error(400, 50035, "Invalid Form Body")
        self.messages.append(body)
        return 204, {}, b""


def _embeds_ok(body: dict[str, Any]) -> bool:
    if len(body.get("content") or "") > 2000 or len(body.get("embeds") or []) > 10:
        return False
    total = 0
    for e in body.get("embeds") or []:
        title, desc = e.get("title", ""), e.get("description", "")
        fields = e.get("fields") or []
        footer = (e.get("footer") or {}).get("text", "")
        if len(title) > 256 or len(desc) > 4096 or len(fields) > 25 or len(footer) > 2048:
            return False
        if any(
            len(f["name"]) > 256 or len(f["value"]) > 1024 or not f["name"] or not f["value"] for f in fields
        ):
            return False
        total += len(title) + len(desc) + len(footer) + sum(len(f["name"]) + len(f["value"]) for f in fields)
    return total <= 6000
