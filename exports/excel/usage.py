"""The value report's adoption sheets: adoption against peers, recommendations, objectives, the peer benchmark."""
from __future__ import annotations

from exports.audience import asked_rows, customer_peers
from exports.data import PEER_COLUMNS
from exports.excel.book import (
    DAY,
    HEADER_ROW,
    HOURS,
    INPUT,
    INPUT_COLOR,
    INT,
    MONTH,
    NOTE_COLOR,
    PCT,
    SIGNED_PCT,
    TITLE_COLOR,
    TWO,
    _Book,
    _Sheet,
    _widths,
)
from exports.safety import safe_cell_text
from exports.strings import fmt, text
from metrics.objectives import UNITS as OBJECTIVE_UNITS
from metrics.objectives import higher_is_better
from metrics.privacy import MIN_OTHERS
from metrics.report import UnderusedFeature


def _adoption(book: _Book, ws: _Sheet) -> None:
    data, t, use = book.data, book.t, book.data.report.adoption
    book.title(ws, t("adoption_title"), book.subtitle())
    if data.peers_shown:
        book.put(ws, 3, 1, t(f"peer_group_{data.peer_group}", n=data.peers), italic=True, color=NOTE_COLOR)
    else:
        book.put(ws, 3, 1, t("peers_hidden", min=MIN_OTHERS), italic=True, color=NOTE_COLOR)
    book.header(ws, HEADER_ROW, [t("feature"), t("in_value_model"), t("adopters"), t("adoption_rate"),
                                 t("peer_median"), t("depth"), t("first_used"), t("days_from_go_live")])
    first = HEADER_ROW + 1
    for r, row in enumerate(data.features.itertuples(index=False), start=first):
        book.put(ws, r, 1, data.name(row.feature, book.lang), customer=True)
        book.put(ws, r, 2, t("yes" if row.has_value_driver else "no"))
        book.put(ws, r, 3, row.adopters, INT)
        for col, value, number_format in ((4, row.adoption_rate, PCT), (5, row.peer_median, PCT),
                                          (6, row.depth, TWO), (8, row.days_from_go_live, INT)):
            book.put(ws, r, col, None if value is None or value != value else float(value), number_format)
        first_used = row.first_used_at
        book.put(ws, r, 7, None if first_used is None or first_used != first_used else first_used.date(), DAY)
    ws.freeze(first, 2)

    overview = [("kpi_key_feature_adoption", use.key_feature_adoption, PCT), ("breadth", use.breadth, TWO),
                ("kpi_seat_utilization", use.seat_utilization, PCT), ("stickiness", use.stickiness, PCT)]
    book.header(ws, HEADER_ROW, [t("overview"), t("figure")], col=10, tall=False)
    for r, (key, value, number_format) in enumerate(overview, start=first):
        book.put(ws, r, 10, t(key), bold=True)
        book.put(ws, r, 11, value if value is not None else t("na"), number_format)
    mau_row = first + len(overview) + 1
    book.header(ws, mau_row, [t("month"), t("active_users")], col=10, tall=False)
    for r, row in enumerate(data.mau.itertuples(index=False), start=mau_row + 1):
        book.put(ws, r, 10, row.month, MONTH)
        book.put(ws, r, 11, row.active_users, INT)
    _widths(ws, {"A": 26, "B": 14, "C": 10, "D": 12, "E": 12, "F": 12, "G": 12, "H": 12, "I": 3, "J": 30, "K": 12})

    mau = book.chart("line", t("chart_mau"), 16, 7.5)
    last_month = mau_row + len(data.mau)
    mau.add_series({"name": ws.ref(mau_row, 11), "values": ws.span(mau_row + 1, last_month, 11),
                    "categories": ws.span(mau_row + 1, last_month, 10), "smooth": False})
    mau.set_legend({"none": True})
    mau.set_y_axis({"name": t("active_users")})
    mau.set_x_axis({"num_format": MONTH})
    # charts under the tables, not beside them: printed one page wide, the sheet stays readable
    below = max(first + len(data.features), mau_row + len(data.mau) + 1) + 2
    ws.ws.insert_chart(below - 1, 0, mau)
    ws.ws.set_h_pagebreaks([below - 1])  # printed, the charts start a page of their own
    valued = int(data.features["has_value_driver"].sum())
    if valued:
        last = first + valued - 1
        peers = book.chart("bar", t("chart_peers"), 16, max(7.5, 0.8 * valued + 3))
        for col in (4, 5) if data.peers_shown else (4,):
            peers.add_series({"name": ws.ref(HEADER_ROW, col), "values": ws.span(first, last, col),
                              "categories": ws.span(first, last, 1), "gap": 60})
        peers.set_x_axis({"num_format": "0%", "min": 0, "max": 1})  # the value axis (see _value)
        peers.set_y_axis({"reverse": True, "crossing": "max"})
        peers.set_legend({"position": "bottom"})
        ws.ws.insert_chart(below + 16, 0, peers)


def _recommendations(book: _Book, ws: _Sheet) -> None:
    data, t = book.data, book.t
    book.title(ws, t("recommendations_title"), book.subtitle())
    book.header(ws, HEADER_ROW, [t("feature"), t("adoption_rate"), t("peer_median"), t("non_adopters"),
                                 t("hours_left"), t("value_left"), t("action")])
    first = HEADER_ROW + 1
    ws.freeze(first, 2)
    _widths(ws, {"A": 26, "B": 12, "C": 12, "D": 14, "E": 14, "F": 18, "G": 90})
    items = data.report.adoption.underused_features
    if not data.peers_shown:
        book.put(ws, first, 1, t("peers_hidden", min=MIN_OTHERS), italic=True, color=NOTE_COLOR)
        return
    if not items:
        book.put(ws, first, 1, t("no_recommendations"), italic=True, color=NOTE_COLOR)
        return
    for r, item in enumerate(items, start=first):
        book.put(ws, r, 1, data.name(item.feature, book.lang), customer=True)
        book.put(ws, r, 2, item.adoption_rate, PCT)
        book.put(ws, r, 3, item.peer_median, PCT)
        book.put(ws, r, 4, item.non_adopters, INT)
        book.put(ws, r, 5, item.hours_left, HOURS)
        if item.hours_left is None:
            book.put(ws, r, 6, t("na"))
        else:  # follows the hourly cost on the Summary sheet
            hourly = data.account.hourly_cost
            book.put(ws, r, 6, f"=IF(ISNUMBER(HourlyCost),E{r}*HourlyCost,{book.na()})", book.money,
                     cached=item.hours_left * hourly if hourly is not None else t("na"))
        book.put(ws, r, 7, recommendation(item, book.lang, data.name(item.feature, book.lang)), customer=True)
        book.wrap(ws, r, 7)


def recommendation(item: UnderusedFeature, lang: str, name: str | None = None) -> str:
    """One underused feature as a sentence for a QBR (`name`: the feature as `lang` names it)."""
    return text(lang, "recommendation", feature=safe_cell_text(name or item.feature),
                rate=fmt(item.adoption_rate, "fraction", lang), median=fmt(item.peer_median, "fraction", lang),
                users=fmt(item.non_adopters, "count", lang), hours=fmt(item.hours_left, "hours", lang))




def _objectives(book: _Book, ws: _Sheet) -> None:
    """What was promised and how far it has come; progress is a formula over the baseline, now and target cells."""
    data, t = book.data, book.t
    book.title(ws, t("objectives_title"), book.subtitle())
    book.put(ws, 3, 1, t("objectives_hint"), italic=True, color=NOTE_COLOR)
    book.header(ws, HEADER_ROW, [t("objective"), t("baseline_col"), t("now"), t("target_col"), t("target_date"),
                                 t("progress"), t("status"), t("owner"), t("counted")])
    first = HEADER_ROW + 1
    unit_formats = {"fraction": PCT, "hours": HOURS, "currency": book.money}
    shares = []
    for r, o in enumerate(data.report.objectives, start=first):
        number_format = SIGNED_PCT if o.metric.endswith("_delta") else unit_formats[OBJECTIVE_UNITS[o.metric]]
        book.put(ws, r, 1, t(f"metric_{o.metric}"), bold=True)
        for col, value in ((2, o.baseline), (3, o.current)):
            book.put(ws, r, col, value if value is not None else t("na"), number_format)
        book.put(ws, r, 4, o.target, number_format, color=INPUT_COLOR)
        book.style(ws, r, 4, fill=INPUT)
        book.put(ws, r, 5, o.target_date, DAY)
        progress = o.progress if o.progress is not None else t("na")  # what the formula below computes
        # in the metric's direction: a baseline already past the target leaves 1 (at or past it) or 0
        # (metrics.objectives.progress_of)
        better, reached = (">", ">=") if higher_is_better(o.metric) else ("<", "<=")
        book.put(ws, r, 6, f"=IF(AND(ISNUMBER(B{r}),ISNUMBER(C{r}),ISNUMBER(D{r})),IF(D{r}{better}B{r},"
                           f"(C{r}-B{r})/(D{r}-B{r}),IF(C{r}{reached}D{r},1,0)),{book.na()})", PCT, cached=progress)
        capped = min(1.0, max(0.0, progress)) if isinstance(progress, float) else t("na")
        if isinstance(capped, float):
            shares.append(capped)
        book.put(ws, r, 7, t(f"status_{o.status}"))
        book.put(ws, r, 8, o.owner, customer=True)
        book.put(ws, r, 9, f"=IF(ISNUMBER(F{r}),MIN(1,MAX(0,F{r})),{book.na()})", PCT, cached=capped)
    last = first + len(data.report.objectives) - 1
    if data.report.objectives:
        r = last + 2
        book.put(ws, r, 1, t("value_delivered"), bold=True)
        book.put(ws, r, 9, f"=IF(COUNT(I{first}:I{last})>0,AVERAGE(I{first}:I{last}),{book.na()})", PCT, bold=True,
                 cached=sum(shares) / len(shares) if shares else t("na"))
    else:
        book.put(ws, first, 1, t("na"), italic=True, color=NOTE_COLOR)
    ws.freeze(first, 2)
    _widths(ws, {"A": 30, "B": 14, "C": 14, "D": 14, "E": 13, "F": 12, "G": 12, "H": 20, "I": 14})
    _plan(book, ws, max(first, last) + 4)


def _plan(book: _Book, ws: _Sheet, row: int) -> None:
    """The action plan agreed for next quarter (metrics.plan), under the objectives: action, owner, due, status."""
    t = book.t
    book.put(ws, row, 1, t("plan_title"), bold=True, size=13, color=TITLE_COLOR)
    if not book.data.actions:
        book.put(ws, row + 1, 1, t("plan_none"), italic=True, color=NOTE_COLOR)
        return
    book.header(ws, row + 1, [t("goal"), t("owner"), t("target_date"), t("status")], tall=False)
    for r, a in enumerate(book.data.actions, start=row + 2):
        book.put(ws, r, 1, a.action, customer=True)
        book.put(ws, r, 2, a.owner, customer=True)
        book.put(ws, r, 3, a.due_date, DAY)
        book.put(ws, r, 4, t("plan_done" if a.done else "plan_open"))


def _peers(book: _Book, ws: _Sheet) -> None:
    """The peer benchmark: own figure, percentile and anonymous quartiles per figure (metrics.benchmarks)."""
    data, t = book.data, book.t
    book.title(ws, t("peers_title"), book.subtitle())
    book.put(ws, 3, 1, t("peers_note"), italic=True, color=NOTE_COLOR)
    book.header(ws, HEADER_ROW, [t(f"peer_col_{c}") for c in PEER_COLUMNS])
    formats = {"fraction": PCT, "hours": TWO, "currency": book.money, "number": TWO}
    seats = data.account.seats
    live = {"hours_saved_per_seat": ("TotalHoursSaved", book.total_hours),
            "value_per_seat": ("TotalValue", book.total_value)}  # own figures that follow the assumptions
    for r, row in enumerate(customer_peers(data, book.lang), start=HEADER_ROW + 1):  # the bottom quarter: Internal
        book.put(ws, r, 1, row["figure"])
        for c, key in enumerate(("own", "percentile", "p25", "median", "p75"), start=2):
            value = row[key]
            book.put(ws, r, c, value, "0" if key == "percentile" else formats[row["unit"]])
        if row["metric"] in live and row["own"] is not None:
            name, total = live[row["metric"]]
            book.put(ws, r, 2, f"=IF(AND(ISNUMBER({name}),ISNUMBER(Seats),Seats>0),{name}/Seats,{book.na()})",
                     formats[row["unit"]], cached=total / seats if isinstance(total, float) and seats else t("na"))
        book.put(ws, r, 7, row["peers"], INT)
        book.put(ws, r, 8, row["cohort"], customer=True)
    ws.freeze(HEADER_ROW + 1, 2)
    _widths(ws, {"A": 30, "B": 14, "C": 12, "D": 14, "E": 14, "F": 14, "G": 8, "H": 30})


def _asked(book: _Book, ws: _Sheet) -> None:
    """What the customer asked for, as the deck's slide and the customer's page show it (exports.audience.asked_rows):
    each requirement in the workbook's language, its status, and the version, or the reason it is not supported."""
    rows = asked_rows(book.data, book.lang)
    book.title(ws, book.t("deck_asked"), book.subtitle())
    _widths(ws, {"A": 48, "B": 14, "C": 22, "D": 60})
    book.header(ws, HEADER_ROW, rows[0])
    first = HEADER_ROW + 1
    ws.freeze(first, 1)
    if len(rows) == 1:
        book.put(ws, first, 1, book.t("asked_none"), italic=True, color=NOTE_COLOR)
        return
    for r, row in enumerate(rows[1:], start=first):
        for c, value in enumerate(row, start=1):
            book.put(ws, r, c, value, customer=True)  # the customer's words and CS's reasons: text, never a formula
        book.wrap(ws, r, 1)
        book.wrap(ws, r, 4)

