"""Outgoing webhooks and notifications: what happens here reaches the places a team already looks.

- Outgoing webhooks (`[[webhooks.endpoints]]`): every stored event of a subscribed type is sent
  once per endpoint, signed with Standard Webhooks v1, retried on Svix's schedule by a durable DBOS
  workflow (`adops.notify.deliveries`), behind the SSRF rule (`adops.notify.ssrf`).
- Notifications (`[[notifications.rules]]`): events routed by type and severity to Slack, Discord
  or e-mail (`adops.notify.channels`), with Jinja2 templates, quiet hours and a per-channel rate
  limit whose held messages go out as a digest (`adops.notify.notifications`).
- The sidecar runs one `Dispatcher` (`adops.notify.dispatcher`) that reads new events and starts
  the workflows; the CLI (`adops webhooks`, `adops notify`) reads the log and asks for replays.

Importing this package is light: the workflows load with `adops.notify.deliveries` and
`adops.notify.notifications` (the sidecar imports them before DBOS launches).
"""

from __future__ import annotations

from adops.notify.rules import SEVERITIES, matches, severity_of

__all__ = ["SEVERITIES", "matches", "severity_of"]
