"""Budget optimization: response curves per channel and the split of a budget that buys the most.

- `fit_curve` fits geometric adstock + Hill saturation (S-shaped allowed) to daily history, with a
  posterior draws and a flag for curves the data cannot identify (`curves`).
- `allocate` maximises the total expected outcome within per-channel bounds (`allocator`).
- `recommend` / `fit_channels` + `plan` go from a history table to a recommendation (`recommend`),
  whose `to_dict()` is the `adops optimize --json` document.

The names below are imported on first use (`adops.lazy`): `adops optimize --help` does not load
scipy or pandas.
"""

from typing import TYPE_CHECKING

from adops.lazy import export_lazily

if TYPE_CHECKING:
    from adops.optimize.allocator import Allocation, InfeasibleBudget, allocate
    from adops.optimize.curves import CurveFit, HillCurves, adstock, fit_curve, hill
    from adops.optimize.history import ChannelHistory, InputError, load_history, read_csv
    from adops.optimize.recommend import (
        DEFAULT_BOUNDS,
        ChannelCurve,
        ChannelPlan,
        Recommendation,
        bounds_for,
        fit_channels,
        plan,
        recommend,
    )

__all__ = [
    "DEFAULT_BOUNDS",
    "Allocation",
    "ChannelCurve",
    "ChannelHistory",
    "ChannelPlan",
    "CurveFit",
    "HillCurves",
    "InfeasibleBudget",
    "InputError",
    "Recommendation",
    "adstock",
    "allocate",
    "bounds_for",
    "fit_channels",
    "fit_curve",
    "hill",
    "load_history",
    "plan",
    "read_csv",
    "recommend",
]

export_lazily(
    __name__,
    {
        "allocator": ["Allocation", "InfeasibleBudget", "allocate"],
        "curves": ["CurveFit", "HillCurves", "adstock", "fit_curve", "hill"],
        "history": ["ChannelHistory", "InputError", "load_history", "read_csv"],
        "recommend": [
            "DEFAULT_BOUNDS",
            "ChannelCurve",
            "ChannelPlan",
            "Recommendation",
            "bounds_for",
            "fit_channels",
            "plan",
            "recommend",
        ],
    },
)
