"""The live event feed: a small HTML component (`st.iframe`) whose browser EventSource reads the sidecar's /events.

No build step and no polling: the browser holds one SSE connection to the sidecar (CORS allows the
app's origin on /events only). The sidecar sends each event's id, so after a dropped connection or
a sidecar restart the EventSource reconnects by itself with `Last-Event-ID` and misses nothing. If
the browser gives up (an error answer instead of a stream), the script opens a new EventSource
after a few seconds with `since=` the last id it showed. Event data is written as text, never as
HTML, so a hostile event cannot inject markup.

Each entry shows its local time (`14:03:12`, with the date when it is not today) and a label for its
type. The latest events are drawn from the event log with the time they were stored
(adops.analytics.feed.backlog) and the stream opens right after the newest of them; an event that
arrives live is stamped when the browser receives it (within a second of being stored: the feed's
latency is measured in docs/benchmarks.md). Job kinds, metrics, platforms and accounts are shown by
their names (adops.analytics.feed.vocabulary), never as keys or job ids.
"""

from __future__ import annotations

import json
import re

import streamlit as st

from adops.analytics.feed import Backlog

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
_PLACEHOLDER = re.compile(r"__(URL|SINCE|BACKLOG|LABELS|WORDS|HEIGHT)__")

_TEMPLATE = """
<style>
  body { font-family: "Source Sans Pro", system-ui, sans-serif; margin: 0; color: #111111; }
  #status { font-size: 0.85rem; margin-bottom: 0.4rem; }
  #status.live::before { content: "● "; color: #009E73; }
  #status.down::before { content: "● "; color: #D55E00; }
  ol { list-style: none; margin: 0; padding: 0; max-height: __HEIGHT__px; overflow-y: auto; }
  li { padding: 0.3rem 0.2rem; border-bottom: 1px solid #e5e5e5; font-size: 0.9rem; }
  time { color: #555555; font-variant-numeric: tabular-nums; margin-right: 0.5rem; }
  .label { font-weight: 600; margin-right: 0.5rem; }
  .sev-critical { color: #B5400B; } .sev-warning { color: #8A6100; }
  #empty { color: #555555; font-size: 0.9rem; }
</style>
<div id="status" role="status" aria-live="polite">Connecting to the live feed…</div>
<p id="empty">No events yet: syncs, jobs, anomalies, workflow steps and webhooks show here as they happen.</p>
<ol id="feed" aria-label="Live events" role="log"></ol>
<script>
(function () {
  const base = __URL__;
  const since = __SINCE__;
  const backlog = __BACKLOG__;
  const labels = __LABELS__;
  const words = __WORDS__;
  const maxItems = 200;
  const feed = document.getElementById("feed");
  const status = document.getElementById("status");
  const empty = document.getElementById("empty");
  let lastId = since, source = null, retry = null;

  function own(map, key) { return Object.prototype.hasOwnProperty.call(map, key) ? map[key] : null; }
  function cap(text) { text = String(text || ""); return text.charAt(0).toUpperCase() + text.slice(1); }
  function num(value) { return value.toLocaleString(undefined, {maximumFractionDigits: 2}); }
  function platform(key) { return own(words.platforms, key) || key; }
  function account(d) { return own(words.accounts, d.platform + ":" + d.account_id) || d.account_id; }
  function metric(key) { return own(words.metrics, key) || key; }
  function kind(key) { return own(words.kinds, key) || key; }

  function where(d) {
    if (!d.platform) return "";
    return [platform(d.platform), d.account_id ? account(d) : "", d.campaign_id].filter(Boolean).join(" · ");
  }

  function summary(type, d) {
    if (!d || typeof d !== "object") return "";
    if (type === "anomaly.detected") {
      const head = [cap(d.severity), d.kind, "in", metric(d.metric)].filter(Boolean).join(" ");
      const value = typeof d.y === "number" ? num(d.y) : "";
      const exp = typeof d.expected === "number" ? " (expected " + num(d.expected) + ")" : "";
      return [head, where(d), d.ds].filter(Boolean).join(" · ") + ": " + value + exp;
    }
    if (type.startsWith("job.")) return [kind(d.kind), d.error].filter(Boolean).join(" · ");
    if (type.startsWith("sync.")) {
      const parts = [where(d), cap(d.status)];
      if (typeof d.rows === "number") parts.push(d.rows.toLocaleString() + " rows");
      if (typeof d.accounts === "number") parts.push(d.accounts.toLocaleString() + " accounts");
      return parts.filter(Boolean).join(" · ");
    }
    if (type.startsWith("workflow.")) {
      return [d.workflow, d.dry_run ? "dry run" : "", d.by ? "by " + d.by : "", d.error].filter(Boolean).join(" · ");
    }
    const text = d.title || d.message || d.name || d.workflow || d.source || d.endpoint || where(d) || "";
    return String(text);
  }

  function when(date) {
    const clock = date.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false});
    if (date.toDateString() === new Date().toDateString()) return clock;
    return date.toLocaleDateString([], {day: "numeric", month: "short"}) + " " + clock;
  }

  function add(id, type, data, at) {
    if (!own(labels, type)) return;
    const item = document.createElement("li");
    const stamp = document.createElement("time");
    const date = at ? new Date(at) : new Date();
    stamp.dateTime = date.toISOString();
    stamp.title = date.toLocaleString();
    stamp.textContent = when(date);
    const label = document.createElement("span");
    label.className = "label" + (data && data.severity ? " sev-" + String(data.severity) : "");
    label.textContent = own(labels, type);
    const text = document.createElement("span");
    text.textContent = summary(type, data).slice(0, 300);
    item.dataset.type = type;
    item.dataset.id = String(id || "");
    item.append(stamp, label, text);
    feed.prepend(item);
    empty.hidden = true;
    while (feed.children.length > maxItems) feed.lastChild.remove();
  }

  function show(event) {
    let data = null;
    try { data = JSON.parse(event.data); } catch (e) { data = null; }
    if (event.lastEventId) lastId = Number(event.lastEventId);
    add(event.lastEventId, event.type, data, null);
  }

  function connect(after) {
    const url = new URL(base);
    url.searchParams.set("since", String(after));
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
  backlog.forEach(function (e) { add(e.id, e.type, e.data, e.at); });
  connect(since);
})();
</script>
"""


def event_feed(url: str, backlog: Backlog, words: dict[str, dict[str, str]], height: int = 360) -> None:
    """Draw the feed: `backlog` (adops.analytics.feed.backlog) at once, then the stream at `url`
    (adops.sidecar.client.events_url(...) with its token; the feed adds `since`), naming what events
    carry with `words` (adops.analytics.feed.vocabulary)."""
    values = {
        "URL": _js(url),
        "SINCE": str(int(backlog.last_id)),
        "BACKLOG": _js(backlog.events),
        "LABELS": _js(LABELS),
        "WORDS": _js(words),
        "HEIGHT": str(int(height)),
    }
    # one pass: a placeholder written inside an event's data is text, never substituted again
    html = _PLACEHOLDER.sub(lambda m: values[m[1]], _TEMPLATE)
    st.iframe(html, height=height + 40)


def _js(value: object) -> str:
    """A JSON literal safe inside <script> (no `</script>` can close it early)."""
    return (
        json.dumps(value, default=str).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    )
