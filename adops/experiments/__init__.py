"""Experiments: A/B test statistics, readouts and the winner rule (GrowthBook gbstats conventions).

Pure functions over numbers: sufficient statistics in, typed results out; no I/O, no DataFrames.

    from adops.experiments import VariantCounts, analyze_counts
    readout = analyze_counts([VariantCounts("A", 10_000, 420), VariantCounts("B", 10_000, 480)])
    readout.variants[1].conversion.lift, readout.variants[1].conversion.p_value

The names below are imported on first use (`adops.lazy`): `adops ab --help` does not load scipy.
"""

from typing import TYPE_CHECKING

from adops.lazy import export_lazily

if TYPE_CHECKING:
    from adops.experiments.bayesian import BayesianResult, EffectBayesianABTest, GaussianPrior
    from adops.experiments.corrections import benjamini_hochberg, holm, holm_with_gaps
    from adops.experiments.decision import Decision, VariantEvidence, WinnerRule, decide
    from adops.experiments.defaults import DEFAULT_SEQUENTIAL_TUNING
    from adops.experiments.frequentist import (
        EffectMoments,
        FrequentistResult,
        SequentialTwoSidedTTest,
        TwoSidedTTest,
        effect_moments,
    )
    from adops.experiments.power import days_to_significance, lift_stddev, mde, power, required_sample_size
    from adops.experiments.readout import (
        ExperimentReadout,
        MetricComparison,
        VariantCounts,
        VariantReadout,
        analyze_counts,
        compare,
    )
    from adops.experiments.srm import SRM_THRESHOLD, srm_p_value
    from adops.experiments.statistics import (
        ProportionStatistic,
        RatioStatistic,
        SampleMeanStatistic,
        Statistic,
        proportion,
        sample_mean,
    )

__all__ = [
    "DEFAULT_SEQUENTIAL_TUNING",
    "SRM_THRESHOLD",
    "BayesianResult",
    "Decision",
    "EffectBayesianABTest",
    "EffectMoments",
    "ExperimentReadout",
    "FrequentistResult",
    "GaussianPrior",
    "MetricComparison",
    "ProportionStatistic",
    "RatioStatistic",
    "SampleMeanStatistic",
    "SequentialTwoSidedTTest",
    "Statistic",
    "TwoSidedTTest",
    "VariantCounts",
    "VariantEvidence",
    "VariantReadout",
    "WinnerRule",
    "analyze_counts",
    "benjamini_hochberg",
    "compare",
    "days_to_significance",
    "decide",
    "effect_moments",
    "holm",
    "holm_with_gaps",
    "lift_stddev",
    "mde",
    "power",
    "proportion",
    "required_sample_size",
    "sample_mean",
    "srm_p_value",
]

export_lazily(
    __name__,
    {
        "bayesian": ["BayesianResult", "EffectBayesianABTest", "GaussianPrior"],
        "corrections": ["benjamini_hochberg", "holm", "holm_with_gaps"],
        "decision": ["Decision", "VariantEvidence", "WinnerRule", "decide"],
        "defaults": ["DEFAULT_SEQUENTIAL_TUNING"],
        "frequentist": [
            "EffectMoments",
            "FrequentistResult",
            "SequentialTwoSidedTTest",
            "TwoSidedTTest",
            "effect_moments",
        ],
        "power": ["days_to_significance", "lift_stddev", "mde", "power", "required_sample_size"],
        "readout": [
            "ExperimentReadout",
            "MetricComparison",
            "VariantCounts",
            "VariantReadout",
            "analyze_counts",
            "compare",
        ],
        "srm": ["SRM_THRESHOLD", "srm_p_value"],
        "statistics": [
            "ProportionStatistic",
            "RatioStatistic",
            "SampleMeanStatistic",
            "Statistic",
            "proportion",
            "sample_mean",
        ],
    },
)
