"""What the Deliveries page shows: the endpoints and their state, the delivery log, the notification log.

Reads only (the store and adops.toml); the page's buttons call `deliveries.replay` and
`deliveries.enable_endpoint`, the same functions as `adops webhooks replay|enable`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select

from adops import config, store
from adops.notify import deliveries, notifications
from adops.store.models import WebhookEndpointState

__all__ = ["DELIVERY_COLUMNS", "Board", "EndpointRow", "board"]

DELIVERY_COLUMNS = [
    "id",
    "endpoint",
    "event_type",
    "status",
    "attempts",
    "next_attempt_at",
    "last_status_code",
]
NOTIFICATION_COLUMNS = ["id", "channel", "event_type", "severity", "status", "attempts", "sent_at", "error"]


@dataclass(frozen=True)
class EndpointRow:
    """An outgoing endpoint as adops.toml names it (an `env:NAME` URL stays a reference), and its state."""

    url: str
    events: tuple[str, ...]
    configured: bool
    disabled: bool
    reason: str | None

    @property
    def state(self) -> str:
        return "disabled" if self.disabled else "active"


@dataclass(frozen=True)
class Board:
    """One read of everything the page draws."""

    endpoints: list[EndpointRow]
    channels: list[str]
    deliveries: list[deliveries.Delivery]
    notifications: list[dict[str, object]]

    @property
    def configured(self) -> bool:
        """Anything to show: an endpoint, a channel, or a log left from an earlier configuration."""
        return bool(self.endpoints or self.channels or self.deliveries or self.notifications)

    def endpoints_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "endpoint": config.mask_url(e.url),  # a token in a query or user:pw@ never shows
                    "state": e.state,
                    "events": ", ".join(e.events),
                    "in adops.toml": e.configured,
                    "reason": e.reason or "",
                }
                for e in self.endpoints
            ],
            columns=["endpoint", "state", "events", "in adops.toml", "reason"],
        )

    def deliveries_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(
            [{c: getattr(d, c) for c in DELIVERY_COLUMNS} for d in self.deliveries], columns=DELIVERY_COLUMNS
        ).astype({"attempts": "Int64", "last_status_code": "Int64"})
        frame["endpoint"] = frame["endpoint"].map(config.mask_url)
        return frame

    def notifications_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [{c: n.get(c) for c in NOTIFICATION_COLUMNS} for n in self.notifications],
            columns=NOTIFICATION_COLUMNS,
        )


def board(status: str | None = None, limit: int = 200, notes: int = 50) -> Board:
    """Endpoints (configured ones, and disabled ones no longer configured), the newest `limit`
    deliveries (only `status` ones when given; InputError for an unknown status), the newest
    `notes` notifications."""
    cfg = config.load()
    hooks = cfg.webhooks
    with store.session() as s:
        states = {r.endpoint: r for r in s.scalars(select(WebhookEndpointState))}
        known = {url: (row.disabled_at is not None, row.reason) for url, row in states.items()}
    rows = [
        EndpointRow(e.url, tuple(e.events), True, *known.get(e.url, (False, None)))
        for e in (hooks.endpoints if hooks else [])
    ]
    listed = {r.url for r in rows}
    rows += [
        EndpointRow(url, (), False, True, reason)
        for url, (disabled, reason) in sorted(known.items())
        if disabled and url not in listed
    ]
    notes_cfg = cfg.notifications
    channels = [c for c in ("slack", "discord", "email") if notes_cfg and getattr(notes_cfg, c) is not None]
    return Board(
        endpoints=rows,
        channels=channels,
        deliveries=deliveries.list_deliveries(status=status, limit=limit),
        notifications=notifications.recent(notes),
    )
