"""Live monitoring: spend against budget and pacing, active anomalies, sync health, and the live event feed."""

import streamlit as st

from adops import config
from adops.analytics import feed, monitor
from adops.sidecar import client
from pages.components.event_feed import LABELS, PREFIXES, event_feed
from pages.components.monitor import anomalies_panel, pacing_panel, sync_health_panel
from pages.components.routing import through_app

#: the feed's token lives as long as an analyst keeps the page open in a day (the page refreshes it on reruns)
FEED_TOKEN_TTL_S = 12 * 3600
BACKLOG = 30

through_app()
st.title("Live monitoring")
currency = config.load().reporting_currency
main, side = st.columns([3, 2], gap="large")

with side:
    st.subheader("Live events")
    event_feed(
        client.events_url(PREFIXES, ttl_s=FEED_TOKEN_TTL_S), feed.backlog(LABELS, BACKLOG), feed.vocabulary()
    )
    if client.health() is None:
        st.warning(
            "The sidecar does not answer, so the feed waits for it: start it with `adops serve` (or `make run`)."
        )

with main:
    day = monitor.data_day()
    if day is None:
        st.info(
            "The warehouse is empty. Press **Sync now** on the Overview to pull your accounts, or build the demo "
            "workspace with `adops demo`."
        )
    else:
        st.subheader(f"Spend and pacing · {day:%A %d %B %Y}")
        pacing_panel(currency)

st.subheader("Active anomalies")
anomalies_panel(currency)
st.subheader("Sync health")
sync_health_panel()
