"""One palette for every page: platforms differ by colour, dash and marker; charts use it."""

import plotly.express as px
import plotly.graph_objects as go

from adops.config import PLATFORM_NAMES
from pages.components import formatting, palette


def _rgb(hex_colour: str) -> tuple[int, ...]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def test_every_platform_has_its_own_colour_dash_and_marker() -> None:
    for styles in (palette.PLATFORM_COLORS, palette.PLATFORM_DASHES, palette.PLATFORM_SYMBOLS):
        assert set(styles) == set(PLATFORM_NAMES) and len(set(styles.values())) == len(styles)
    assert formatting.PLATFORM_COLORS is palette.PLATFORM_COLORS  # one palette, not two
    # Microsoft Ads and Pinterest overlapped (amber and red); now apart by more than hue
    ms, pin = _rgb(palette.PLATFORM_COLORS["microsoft_ads"]), _rgb(palette.PLATFORM_COLORS["pinterest"])
    assert sum(abs(a - b) for a, b in zip(ms, pin, strict=True)) > 150
    assert palette.PLATFORM_DASHES["microsoft_ads"] != palette.PLATFORM_DASHES["pinterest"]
    assert "#F0E442" not in palette.SAFE_COLORS  # yellow on white is unreadable


def test_distinguish_styles_platform_traces_by_label_and_leaves_others() -> None:
    rows = [
        {"day": d, "y": d * k, "platform": name}
        for k, name in enumerate(["Microsoft Ads", "Pinterest", "campaign 7"], 1)
        for d in range(3)
    ]
    fig = palette.distinguish(px.line(rows, x="day", y="y", color="platform", markers=True))
    by_name = {t.name: t for t in fig.data}
    assert by_name["Microsoft Ads"].line.dash == "dashdot" and by_name["Pinterest"].line.dash == "longdashdot"
    assert by_name["Pinterest"].marker.symbol == "star"
    assert by_name["campaign 7"].line.dash == "solid"  # not a platform: untouched


def test_a_one_day_range_ticks_once_a_day_centred_on_it(demo) -> None:  # type: ignore[no-untyped-def]
    import json
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    page = str(Path(__file__).resolve().parents[2] / "pages" / "overview.py")
    at = AppTest.from_file(page, default_timeout=60).run()
    _, end = at.date_input(key="filters-dates").value
    at.date_input(key="filters-dates").set_value((end, end)).run()
    assert not at.exception, at.exception
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(charts) == 2
    for spec in charts:
        axis = spec["layout"]["xaxis"]
        assert axis["dtick"] == 86_400_000 and axis["tickformat"] == "%b %d"
        assert axis["range"][0].startswith(str(end - __import__("datetime").timedelta(days=1)))


def test_a_longer_range_keeps_plotly_ticks() -> None:
    fig = palette.day_ticks(px.line(x=["2026-10-01", "2026-11-30"], y=[1, 2]))
    assert fig.layout.xaxis.dtick is None
    assert palette.day_ticks(go.Figure()).layout.xaxis.dtick is None  # no data: untouched


def test_legend_below_puts_the_legend_in_rows_at_the_foot() -> None:
    import plotly.graph_objects as go

    from pages.components.palette import legend_below

    fig = legend_below(go.Figure(go.Scatter(x=[1, 2], y=[1, 2], name="Meta")))
    legend = fig.layout.legend
    assert (legend.orientation, legend.yref, legend.yanchor, legend.y) == ("h", "container", "bottom", 0)
    assert fig.layout.margin.b >= 100  # room for the axis and up to three legend rows at 390 px
