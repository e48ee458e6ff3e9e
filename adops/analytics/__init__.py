"""Analytics over the warehouse: KPI definitions, the Overview's numbers and the cross-platform analysis
(breakdowns, trends, cohorts, creative fatigue)."""

from adops.analytics import breakdowns, cohorts, fatigue, kpis, overview, trends

__all__ = ["breakdowns", "cohorts", "fatigue", "kpis", "overview", "trends"]
