"""The deck's named charts and tables, each drawn into a box on any slide: the built-in slides place them, and a
team's own template names them in a placeholder shape ({{chart:NAME}}, {{table:NAME}}; exports.deck.fill).

A chart builder returns the chart, or None when the account has nothing to draw; a table's rows are a header then
one row per item (an empty table is the header alone)."""
from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd
from pptx.chart.chart import Chart
from pptx.enum.chart import XL_CHART_TYPE
from pptx.slide import Slide

from exports.audience import asked_rows, customer_peers
from exports.data import ExportData
from exports.deck import tokens
from exports.deck.builder import MAX_BARS, Deck, _style

Box = tuple[int, int, int, int]
SHOWN_MONTHS = 12  # an adoption chart shows the months since go-live, at most this many


def shown_months(data: ExportData) -> pd.DataFrame:
    """The active-user months a chart shows: from the go-live month (not live: the months with any use) to the
    period's end, the last SHOWN_MONTHS of them; no run of pre-go-live zeros."""
    mau = data.mau
    months = pd.to_datetime(mau["month"]).dt.date
    live = data.account.go_live_date
    if live is not None and live < data.period.end:
        keep = months >= live.replace(day=1)
    else:
        used = mau["active_users"] > 0
        keep = months >= (months[used].min() if used.any() else data.period.start)
    return mau[keep.to_numpy()].tail(SHOWN_MONTHS).reset_index(drop=True)


def axis_title(deck: Deck, chart: Chart, title: str) -> None:
    """The value axis says what it counts."""
    chart.value_axis.has_title = True
    chart.value_axis.axis_title.text_frame.text = title
    _style(chart.value_axis.axis_title.text_frame, deck.lang, 11)


def _titled(deck: Deck, chart: Chart, title: str) -> Chart:
    chart.has_title = True
    chart.chart_title.text_frame.text = title
    _style(chart.chart_title.text_frame, deck.lang, 14, bold=True)
    return chart


def _code(data: ExportData) -> str:
    return data.currency if data.currency and re.fullmatch(r"[A-Za-z]{3}", data.currency) else ""


def adoption_chart(deck: Deck, slide: Slide, box: Box) -> Chart | None:
    """Active users a month since go-live (shown_months), whole users on the axis."""
    mau = shown_months(deck.data)
    if mau.empty:
        return None
    users = [int(v) for v in mau["active_users"]]
    chart = deck.chart(slide, XL_CHART_TYPE.LINE_MARKERS, [f"{m:%Y-%m}" for m in mau["month"]],
                       [(deck.t("active_users"), users)], box, "#,##0")
    chart.value_axis.tick_labels.number_format, chart.value_axis.tick_labels.number_format_is_linked = "0", False
    chart.value_axis.minimum_scale = 0
    if max(users, default=0) < 10:  # counts: whole steps, never 0.5 of a user
        chart.value_axis.major_unit = 1
    axis_title(deck, chart, deck.t("active_users"))
    chart.plots[0].series[0].smooth = False
    return _titled(deck, chart, deck.t("chart_mau"))


def efficiency_chart(deck: Deck, slide: Slide, box: Box) -> Chart | None:
    """Output per person (or work units per active user) in the baseline and current windows, the change and its
    interval in the title."""
    data, eff = deck.data, deck.data.report.efficiency
    usage = bool(eff.basis and eff.basis.startswith("usage"))
    column = "units_per_active_user" if usage else "output_per_person"
    rows = data.output[data.output["window"] != ""]
    if not len(rows) or eff.baseline is None:
        return None

    def values(window: str) -> list[float | None]:
        return [float(v) if w == window and v == v else None for v, w in zip(rows[column], rows["window"])]

    chart = deck.chart(slide, XL_CHART_TYPE.COLUMN_CLUSTERED, [f"{m:%Y-%m}" for m in rows["month"]],
                       [(deck.t("baseline"), values("baseline")), (deck.t("current"), values("current"))], box,
                       "#,##0.0", legend=True)
    chart.plots[0].overlap, chart.plots[0].gap_width = 100, 60
    # the gap between the two windows, in the title: the bars alone leave it to the eye
    change = f" · {deck.f(eff.baseline, 'number')} → {deck.f(eff.current, 'number')} " \
             f"({deck.f(eff.delta, 'fraction', signed=True)}, {deck.f(eff.ci_low, 'fraction', signed=True)} " \
             f"… {deck.f(eff.ci_high, 'fraction', signed=True)})" if eff.delta is not None else ""
    axis_title(deck, chart, deck.t("units_per_active_user" if usage else "output_per_person"))
    return _titled(deck, chart, deck.t("chart_units" if usage else "chart_output") + change)


def value_chart(deck: Deck, slide: Slide, box: Box) -> Chart | None:
    """Value (hours when unpriced) by feature, the largest on top, labelled."""
    data, money = deck.data, deck.data.report.cost
    rows = money.by_feature[:MAX_BARS]
    if not rows:
        return None
    priced = money.value is not None
    code = _code(data)
    number_format = f'"{code} "#,##0' if priced and code else "#,##0.0"
    chart = deck.chart(slide, XL_CHART_TYPE.BAR_CLUSTERED, [data.name(r.feature, deck.lang) for r in rows],
                       [(deck.t("value" if priced else "hours_saved"),
                         [r.value if priced else r.hours_saved for r in rows])], box, number_format, labels=True)
    chart.plots[0].gap_width = 50
    chart.category_axis.reverse_order = True  # largest on top, as listed
    chart.value_axis.visible = False
    chart.value_axis.has_major_gridlines = False
    return chart


def business_case_chart(deck: Deck, slide: Slide, box: Box) -> Chart | None:
    """The business case's projected value against the realized, month by month (the last 12)."""
    case = deck.data.report.projection
    if case is None:
        return None
    code = _code(deck.data)
    months = case.months[-12:]
    chart = deck.chart(slide, XL_CHART_TYPE.COLUMN_CLUSTERED, [f"{m.month:%Y-%m}" for m in months],
                       [(deck.t("projected"), [m.projected for m in months]),
                        (deck.t("realized"), [m.realized for m in months])], box,
                       f'"{code} "#,##0' if code else "#,##0", legend=True)
    chart.plots[0].gap_width = 60
    return _titled(deck, chart, deck.t("chart_projection"))


def objective_figure(deck: Deck, metric: str, value: float | None) -> str:
    return tokens.objective_figure(deck.data, deck.lang, metric, value)


def _table(deck: Deck, headers: tuple[str, ...], collection: str, fields: tuple[str, ...]) -> list[list[str]]:
    """A header of `headers`, then the `fields` of each item of the collection a template's slide repeats over
    (exports.deck.tokens.EACH): a table and a repeated slide show one item the same way."""
    items = tokens.EACH[collection][1](deck.data, deck.lang)
    return [[deck.t(h) for h in headers]] + [[item[f] for f in fields] for item in items]


def objectives_rows(deck: Deck) -> list[list[str]]:
    """The objectives set in the sale: baseline, now, target, by when, progress, status."""
    return _table(deck, ("objective", "baseline_col", "now", "target_col", "target_date", "progress", "status"),
                  "objectives", ("metric", "baseline", "current", "target", "target_date", "progress", "status"))


def underused_rows(deck: Deck) -> list[list[str]]:
    """The story's room to grow: valuable features used less than by the peers, adoption, the peers' median, who
    has not used them, and what is left on the table (none when peer figures are withheld)."""
    fields = ("feature", "adoption_rate", "peer_median", "non_adopters", "hours_left", "value_left")
    return _table(deck, fields, "underused", fields)


def value_rows(deck: Deck) -> list[list[str]]:
    """Hours saved and their value by feature, the largest first."""
    fields = ("feature", "hours_saved", "value")
    return _table(deck, fields, "value_by_feature", fields)


def peer_table(deck: Deck, rows: list[dict[str, object]]) -> list[list[str]]:
    """Peer figures (exports.data.peer_rows' rows) as a table: own figure, percentile, quartiles, peers, cohort."""
    columns = ("figure", "own", "percentile", "median", "p25", "p75", "peers", "cohort")
    table = [[deck.t(f"peer_col_{c}") for c in columns]]
    for row in rows:
        shown = {k: deck.f(row[k], str(row["unit"]), signed=row["metric"] == "efficiency_delta")  # type: ignore
                 for k in ("own", "p25", "median", "p75")}
        table.append([str(row["figure"]), shown["own"], deck.f(row["percentile"], "count"), shown["median"],  # type: ignore
                      shown["p25"], shown["p75"], deck.f(row["peers"], "count"), str(row["cohort"])])  # type: ignore
    return table


def peer_rows(deck: Deck) -> list[list[str]]:
    """Where the account stands among anonymous peers, on the figures not in the bottom quarter (the customer's)."""
    return peer_table(deck, customer_peers(deck.data, deck.lang))


CHARTS: dict[str, Callable[[Deck, Slide, Box], Chart | None]] = {
    "adoption": adoption_chart, "efficiency": efficiency_chart, "value": value_chart,
    "business_case": business_case_chart}
TABLES: dict[str, Callable[[Deck], list[list[str]]]] = {
    "objectives": objectives_rows, "underused": underused_rows, "value": value_rows, "peers": peer_rows,
    "requests": lambda deck: asked_rows(deck.data, deck.lang)}
