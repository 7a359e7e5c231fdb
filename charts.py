"""Plotly figure builders for the pages (no Streamlit calls here)."""
from __future__ import annotations

import html
from datetime import date, timedelta

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from metrics.period import add_months

FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"


def inert(value: object) -> object:
    """Customer text made literal for Plotly, which renders <a href>, <b> and <br> in labels, legends and hovers."""
    return html.escape(value, quote=False) if isinstance(value, str) else value


def _inert_frame(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """A copy of `frame` with the text columns (and a text index and header) made inert."""
    out = frame.copy()
    for column in columns:
        out[column] = out[column].map(inert)
    if not pd.api.types.is_numeric_dtype(out.index):
        out.index = out.index.map(inert)
    out.columns = out.columns.map(inert)
    return out


def _layout(fig: go.Figure, title: str, y_title: str = "", percent: bool = False, months: bool = False,
            counts: bool = False) -> go.Figure:
    """Title, font and size; the legend above the plot, right-aligned (below it, it covered rotated feature names),
    or beside it when it has more than 3 entries;
    months as 2026-01 in both languages (Plotly's own ticks read "Jan 2026" whatever the page's language); counts on
    whole-number ticks."""
    few = len([trace for trace in fig.data if trace.showlegend is not False]) <= 3
    fig.update_layout(title=title, font_family=FONT, height=330, margin=dict(l=10, r=10, t=70, b=10),
                      # a few entries fit in one row above the plot; more would wrap onto the title: a column right
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1) if few else
                      dict(orientation="v", yanchor="top", y=1.0, xanchor="left", x=1.02),
                      yaxis_title=y_title, xaxis_title="")
    if percent:
        fig.update_yaxes(tickformat=".0%")
    if months:
        fig.update_xaxes(tickformat="%Y-%m", hoverformat="%Y-%m")
    if counts:
        fig.update_yaxes(tickformat=",d", rangemode="tozero")
        if _max_y(fig) <= 5:
            fig.update_yaxes(dtick=1)
    return fig


def _max_y(fig: go.Figure) -> float:
    values = [y for trace in fig.data if getattr(trace, "y", None) is not None for y in trace.y
              if y is not None and y == y]
    return max(values, default=0)


def _shade(fig: go.Figure, months: list[date], label: str, color: str) -> None:
    if months:
        fig.add_vrect(x0=min(months), x1=add_months(max(months), 1) - timedelta(days=1), fillcolor=color,
                      opacity=0.12, line_width=0, annotation_text=label, annotation_position="bottom left")


def timeline(frame: pd.DataFrame, column: str, *, title: str, y_title: str, go_live: date | None,
             go_live_label: str, windows: dict[str, list[date]] | None = None, counts: bool = False,
             releases: dict[date, str] | None = None) -> go.Figure:
    """A monthly line with the go-live date marked, the baseline/current windows shaded, and `releases` (day ->
    label: the versions that shipped what the customer asked for) as dotted markers."""
    fig = go.Figure(go.Scatter(x=frame["month"], y=frame[column], mode="lines+markers", name=y_title))
    for (label, months), color in zip((windows or {}).items(), ("#7f7f7f", "#2ca02c")):
        _shade(fig, months, label, color)
    if go_live:
        fig.add_vline(x=pd.Timestamp(go_live).timestamp() * 1000, line_dash="dash", line_color="#d62728",
                      annotation_text=go_live_label, annotation_position="top right")
    for day, label in (releases or {}).items():
        fig.add_vline(x=pd.Timestamp(day).timestamp() * 1000, line_dash="dot", line_color="#9467bd",
                      annotation_text=inert(label), annotation_position="bottom right")
    return _layout(fig, title, y_title, months=True, counts=counts)


def adoption_vs_peers(frame: pd.DataFrame, *, title: str, own: str, peers: str) -> go.Figure:
    """Grouped bars: the account's adoption rate per feature beside the peer median."""
    frame = _inert_frame(frame, "feature")
    fig = go.Figure([go.Bar(x=frame["feature"], y=frame["adoption_rate"], name=inert(own)),
                     go.Bar(x=frame["feature"], y=frame["peer_median"], name=inert(peers), marker_color="#bbbbbb")])
    return _layout(fig.update_layout(barmode="group"), title, percent=True)


def bars(frame: pd.DataFrame, x: str, y: str, *, title: str, y_title: str = "", percent: bool = False,
         labels: dict[str, str] | None = None) -> go.Figure:
    """A plain bar chart; `labels` names the columns in the page's language (hover texts, axes)."""
    return _layout(px.bar(_inert_frame(frame, x), x=x, y=y, labels=labels), title, y_title, percent,
                   months=_dates(frame[x]))


def lines(frame: pd.DataFrame, x: str, y: str, color: str, *, title: str, y_title: str = "",
          percent: bool = False, labels: dict[str, str] | None = None) -> go.Figure:
    """One line per group; `labels` names the columns in the page's language (legend title, hover texts)."""
    fig = px.line(_inert_frame(frame, color), x=x, y=y, color=color, markers=True, labels=labels)
    return _layout(fig, title, y_title, percent, months=_dates(frame[x]))


def _dates(column: pd.Series) -> bool:
    """True for a column of dates (a month axis)."""
    return pd.api.types.is_datetime64_any_dtype(column) or (len(column) > 0 and isinstance(column.iloc[0], date))


def heatmap(frame: pd.DataFrame, *, title: str, labels: dict[str, str] | None = None) -> go.Figure:
    """Features x groups, cells as percentages; `labels` (x, y, color) names the axes and cells for the hover."""
    fig = px.imshow(_inert_frame(frame), text_auto=".0%", aspect="auto", color_continuous_scale="Blues", zmin=0, zmax=1,
                    labels=labels or {})
    fig.update_layout(coloraxis_colorbar=dict(tickformat=".0%", title=""))  # the cells read 45%, so does the scale
    return _layout(fig, title).update_layout(height=max(330, 28 * len(frame) + 120))


def stacked_bars(frame: pd.DataFrame, x: str, y: str, color: str, *, title: str, y_title: str = "",
                 labels: dict[str, str] | None = None, colors: dict[str, str] | None = None) -> go.Figure:
    """Bars per `x`, stacked by `color` (e.g. stage changes per quarter), `colors` by value; counts on whole-number
    ticks."""
    fig = px.bar(_inert_frame(frame, x, color), x=x, y=y, color=color, labels=labels,
                 color_discrete_map={inert(k): v for k, v in (colors or {}).items()},
                 category_orders={color: [inert(k) for k in colors or {}]})
    fig = _layout(fig.update_layout(barmode="stack"), title, y_title, counts=True)
    # the legend in one row under the plot, the categories as they are (a quarter is not a date to space out)
    return fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.32, xanchor="left", x=0,
                                         title_text="")).update_xaxes(type="category", tickangle=-45, automargin=True,
                                                                      title_text="")


def projection(frame: pd.DataFrame, *, title: str, y_title: str, projected: str, realized: str) -> go.Figure:
    """The business case against the realized value: realized value as bars per month, the projected value as a
    line over them (`frame`: month, projected, realized; `projected`, `realized`: the legend's words)."""
    fig = go.Figure()
    fig.add_bar(x=frame["month"], y=frame["realized"], name=inert(realized), marker_color="#1f77b4")
    fig.add_scatter(x=frame["month"], y=frame["projected"], name=inert(projected), mode="lines+markers",
                    line=dict(color="#ff7f0e", dash="dash"))
    return _layout(fig, title, y_title, months=True)
