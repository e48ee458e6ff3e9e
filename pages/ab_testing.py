"""A/B testing: the experiments with their status and readout, a form for new ones, and a calculator."""

import pandas as pd
import streamlit as st

from adops.experiments import store as experiments
from pages.components.ab_calculator import ab_calculator
from pages.components.experiment_form import experiment_form
from pages.components.experiment_readout import experiment_readout
from pages.components.formatting import PLATFORM_LABELS
from pages.components.rollout_panel import FLASH, flash
from pages.components.routing import through_app

through_app()
st.title("A/B testing")
flash()
tab_list, tab_new, tab_calculator = st.tabs(["Experiments", "New experiment", "Calculator"])

with tab_new:
    created = experiment_form()
    if created is not None:
        st.session_state[FLASH] = f"Created {created.name} ({created.status.replace('_', ' ')})."
        st.session_state["ab-experiment"] = created.id
        st.rerun()

with tab_calculator:
    ab_calculator()

with tab_list:
    stored = experiments.list_experiments()
    if not stored:
        st.info(
            "No experiments yet. Create one under **New experiment**, or build the demo workspace with "
            "`adops demo`: the sandbox plants A/B tests with known lifts and they show up here."
        )
        st.stop()
    table = pd.DataFrame(
        [
            {
                "experiment": e.name,
                "status": e.status[:1].upper() + e.status[1:],
                "primary metric": experiments.METRIC_NAMES[e.primary_metric],
                "variants": len(e.variants),
                "platforms": ", ".join(
                    sorted({PLATFORM_LABELS.get(v.platform, v.platform) for v in e.variants})
                ),
                "start": e.start_date,
                "end": e.end_date,
            }
            for e in stored
        ]
    )
    st.dataframe(
        table, hide_index=True, width="stretch", column_config={c: c.capitalize() for c in table.columns}
    )
    names = {e.id: e.name for e in stored}  # stable labels: a status change must not reset the pick
    if st.session_state.get("ab-experiment") not in names:
        st.session_state["ab-experiment"] = stored[0].id
    chosen = st.selectbox("Experiment", list(names), format_func=names.__getitem__, key="ab-experiment")
    experiment_readout(int(chosen))
