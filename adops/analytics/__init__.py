"""Analytics over the warehouse: KPI definitions and the Overview's numbers."""

from adops.analytics import kpis, overview

__all__ = ["kpis", "overview"]
