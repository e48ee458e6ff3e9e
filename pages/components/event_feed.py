"""The live event feed: a small HTML component (`st.iframe`) whose browser EventSource reads the sidecar's /events.

No build step and no polling: the browser holds one SSE connection to the sidecar (CORS allows the
app's origin on /events only). The sidecar sends each event's id, so after a dropped connection or
a sidecar restart the EventSource reconnects by itself with `Last-Event-ID` and misses nothing. If
the browser gives up (an error answer instead of a stream), the script opens a new EventSource
after a few seconds with `since=` the last id it showed. Event data is written as text, never as
HTML, so a hostile event cannot inject markup.
"""

from __future__ import annotations

import json

import streamlit as st

from adops.config import PLATFORM_NAMES

#: the event types the feed shows, with their labels (job.progress is left out: too chatty)
LABELS = {
    "sync.started": "Sync started",
    "sync.account": "Account synced",
    "sync.finished": "Sync finished",
    "anomaly.detected": "Anomaly",
    "anomaly.response": "Anomaly response",
    "job.queued": "Job queued",
    "job.started": "Job started",
    "job.done": "Job done",
    "job.failed": "Job failed",
    "job.cancelled": "Job cancelled",
    "job.retried": "Job retried",
    "job.resumed": "Job resumed",
    "workflow.started": "Workflow started",
    "workflow.step": "Workflow step",
    "workflow.awaiting_approval": "Workflow awaits approval",
    "workflow.approved": "Workflow approved",
    "workflow.succeeded": "Workflow succeeded",
    "workflow.failed": "Workflow failed",
    "workflow.undone": "Workflow undone",
    "webhook.received": "Webhook received",
    "webhook.triggered": "Webhook started a job",
    "webhook.rejected": "Webhook rejected",
    "webhook.delivery": "Webhook delivery",
    "webhook.endpoint_disabled": "Webhook endpoint disabled",
    "notify.sent": "Notification sent",
    "notify.failed": "Notification failed",
    "notification.sent": "Notification sent",
    "notification.failed": "Notification failed",
    "experiment.winner": "Experiment winner",
    "budget_plan.approved": "Budget plan approved",
    "warehouse.maintained": "Warehouse maintained",
}
#: the prefixes the sidecar is asked for (its `types=` filter); the browser listens to LABELS' types
PREFIXES = sorted({t.split(".")[0] + ".*" for t in LABELS})

_TEMPLATE = """
<style>
  body { font-family: "Source Sans Pro", system-ui, sans-serif; margin: 0; color: #111111; }
  #status { font-size: 0.85rem; margin-bottom: 0.4rem; }
  #status.live::before { content: "● "; color: #009E73; }
  #status.down::before { content: "● "; color: #D55E00; }
  ol { list-style: none; margin: 0; padding: 0; max-height: __HEIGHT__px; overflow-y: auto; }
  li { padding: 0.3rem 0.2rem; border-bottom: 1px solid #e5e5e5; font-size: 0.9rem; }
  .when { color: #555555; font-variant-numeric: tabular-nums; margin-right: 0.5rem; }
  .label { font-weight: 600; margin-right: 0.5rem; }
  .sev-critical { color: #B5400B; } .sev-warning { color: #8A6100; }
</style>
<div id="status" role="status" aria-live="polite">Connecting to the live feed…</div>
<ol id="feed" aria-label="Live events" role="log"></ol>
<script>
(function () {
  const base = __URL__;
  const labels = __LABELS__;
  const platforms = __PLATFORMS__;
  const maxItems = 200;
  const feed = document.getElementById("feed");
  const status = document.getElementById("status");
  let lastId = null, source = null, retry = null;

  function summary(type, d) {
    if (!d || typeof d !== "object") return "";
    const where = [platforms[d.platform] || d.platform, d.account_id, d.campaign_id].filter(Boolean).join(" · ");
    if (type === "anomaly.detected") {
      const exp = typeof d.expected === "number" ? " (expected " + d.expected.toLocaleString(undefined, {maximumFractionDigits: 2}) + ")" : "";
      return [d.severity, d.kind, "in", d.metric, where, d.ds].filter(Boolean).join(" ") + ": " +
        (typeof d.y === "number" ? d.y.toLocaleString(undefined, {maximumFractionDigits: 2}) : "") + exp;
    }
    if (type.startsWith("job.")) return [d.kind, d.job_id, d.error].filter(Boolean).join(" · ");
    if (type.startsWith("sync.")) {
      const parts = [where, d.status];
      if (typeof d.rows === "number") parts.push(d.rows.toLocaleString() + " rows");
      return parts.filter(Boolean).join(" · ");
    }
    const text = d.title || d.message || d.name || d.workflow || d.source || d.endpoint || where || "";
    return String(text);
  }

  function show(event) {
    let data = null;
    try { data = JSON.parse(event.data); } catch (e) { data = null; }
    if (event.lastEventId) lastId = event.lastEventId;
    const item = document.createElement("li");
    const when = document.createElement("span");
    when.className = "when";
    when.textContent = event.lastEventId ? "#" + event.lastEventId : "";
    const label = document.createElement("span");
    label.className = "label" + (data && data.severity ? " sev-" + String(data.severity) : "");
    label.textContent = labels[event.type] || event.type;
    const text = document.createElement("span");
    text.textContent = summary(event.type, data).slice(0, 300);
    item.dataset.type = event.type;
    item.dataset.id = event.lastEventId || "";
    item.append(when, label, text);
    feed.prepend(item);
    while (feed.children.length > maxItems) feed.lastChild.remove();
  }

  function connect(since) {
    const url = new URL(base);
    if (since !== null) url.searchParams.set("since", since);
    source = new EventSource(url.toString());
    source.onopen = function () { status.textContent = "Live"; status.className = "live"; };
    source.onerror = function () {
      status.textContent = "Reconnecting…"; status.className = "down";
      if (source.readyState === EventSource.CLOSED && retry === null) {
        retry = setTimeout(function () { retry = null; connect(lastId); }, 5000);
      }
    };
    Object.keys(labels).forEach(function (type) { source.addEventListener(type, show); });
  }
  connect(null);
})();
</script>
"""


def event_feed(url: str, height: int = 360) -> None:
    """Draw the feed reading `url` (adops.sidecar.client.events_url(...), with its `since` and token)."""
    html = (
        _TEMPLATE.replace("__URL__", _js(url))
        .replace("__LABELS__", _js(LABELS))
        .replace("__PLATFORMS__", _js(dict(PLATFORM_NAMES)))
        .replace("__HEIGHT__", str(int(height)))
    )
    st.iframe(html, height=height + 40)


def _js(value: object) -> str:
    """A JSON literal safe inside <script> (no `</script>` can close it early)."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
