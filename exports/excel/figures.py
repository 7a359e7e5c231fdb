"""The value report's figure sheets: the summary with its live assumptions, the value by feature, efficiency."""
from __future__ import annotations

from exports.data import confirmation_lines
from exports.excel.book import (
    DAY,
    HEADER_ROW,
    HOURS,
    INDENTED,
    INPUT,
    INPUT_COLOR,
    INT,
    LEFT,
    MONTH,
    NOTE_COLOR,
    ONE,
    PCT,
    SIGNED_PCT,
    TITLE_COLOR,
    TOP,
    TOP_INDENTED,
    TOTAL,
    TWO,
    _Book,
    _Sheet,
    _widths,
)
from exports.safety import safe_cell_text
from exports.strings import fmt, reason
from metrics.registry import METRICS
from wording import formula, term


def _summary(book: _Book, ws: _Sheet) -> None:
    data, t, acc = book.data, book.t, book.data.account
    book.title(ws, t("report_title", account=safe_cell_text(acc.name)), book.subtitle())
    facts = [("account", acc.name, None, True), ("account_id", acc.account_id, None, True),
             ("industry", term("industry", acc.industry, book.lang), None, True),
             ("period", data.period.label(), None, False),
             ("go_live", acc.go_live_date, DAY, False), ("currency", data.currency, None, True),
             ("seats", acc.seats, INT, False)]
    for row, (key, value, number_format, customer) in enumerate(facts, start=4):
        book.put(ws, row, 1, t(key), bold=True)
        book.put(ws, row, 2, value if value is not None else t("na"), number_format, customer=customer)
        book.style(ws, row, 2, LEFT)
        if key == "seats":
            book.name("Seats", ws, f"$B${row}")

    said = confirmation_lines(data, book.lang)  # what the customer said of these figures (share.py)
    if said:
        book.put(ws, 11, 1, " · ".join(said), italic=True, color=NOTE_COLOR, customer=True)
    row = 12
    book.put(ws, row, 1, t("assumptions"), bold=True, size=13, color=TITLE_COLOR)
    book.put(ws, row + 1, 1, t("assumptions_hint"), italic=True, color=NOTE_COLOR)
    assumptions = [("hourly_cost", "HourlyCost", acc.hourly_cost, book.money, True),
                   ("hours_per_year", "HoursPerYear", data.hours_per_year, INT, True),
                   ("months_in_period", "MonthsInPeriod", data.months, INT, False),
                   ("acv", "AnnualContractValue", acc.annual_contract_value, book.money, True)]
    for offset, (key, name, value, number_format, is_input) in enumerate(assumptions, start=2):
        book.put(ws, row + offset, 1, t(key), bold=True)
        book.put(ws, row + offset, 2, value, number_format, color=INPUT_COLOR if is_input else None)
        if is_input:
            book.style(ws, row + offset, 2, fill=INPUT)
        book.name(name, ws, f"$B${row + offset}")

    row = 20
    book.put(ws, row, 1, t("headline"), bold=True, size=13, color=TITLE_COLOR)
    book.header(ws, row + 1, [t("metric"), t("figure"), t("unit"), t("how"), t("note")])
    na, na_text = book.na(), t("na")
    hourly, acv, months = acc.hourly_cost, acc.annual_contract_value, data.months
    value, hours = book.total_value, book.total_hours  # what the Value sheet's totals compute
    priced = isinstance(value, float)
    contract = priced and acv is not None and acv != 0
    live = {
        "value": (f'=IF(ISNUMBER(HourlyCost),TotalValue,{na})', book.money,
                  value if hourly is not None else na_text),
        "hours_saved": ("=TotalHoursSaved", HOURS, hours),
        "fte_equivalent": (f"=IF(AND(ISNUMBER(HoursPerYear),HoursPerYear>0),"
                           f"TotalHoursSaved/(MonthsInPeriod*HoursPerYear/12),{na})", TWO,
                           hours / (months * data.hours_per_year / 12) if data.hours_per_year > 0 else na_text),
        "roi": ("=IF(AND(ISNUMBER(TotalValue),ISNUMBER(AnnualContractValue),AnnualContractValue<>0),"
                f"(TotalValue*12/MonthsInPeriod-AnnualContractValue)/AnnualContractValue,{na})", SIGNED_PCT,
                (value * 12 / months - acv) / acv if contract else na_text),
        "payback_months": ("=IF(AND(ISNUMBER(TotalValue),ISNUMBER(AnnualContractValue),AnnualContractValue<>0),"
                           f"IF(TotalValue>0,AnnualContractValue/(TotalValue/MonthsInPeriod),{na}),{na})", ONE,
                           acv / (value / months) if contract and value > 0 else na_text),
    }
    # a unit the figure's number format already shows (currency code, %) is not repeated beside it
    units = {"currency": "", "hours": t("unit_hours"), "FTE": "FTE", "fraction": "",
             "months": t("unit_months")}
    _widths(ws, {"A": 34, "B": 22, "C": 10, "D": 62, "E": 34})
    for offset, k in enumerate(data.kpis, start=2):
        r = row + offset
        book.put(ws, r, 1, t(f"kpi_{k.name}"), bold=True)
        if k.name in live:
            expression, number_format, cached = live[k.name]
            book.put(ws, r, 2, expression, number_format, cached=cached)
            note = t("live")
        else:
            book.put(ws, r, 2, k.value if k.value is not None else t("na"),
                     SIGNED_PCT if "delta" in k.name else PCT)
            note = reason(book.lang, k.reason)
            if k.name in ("efficiency_delta", "adjusted_delta") and k.value is not None:  # its interval beside it
                eff = data.report.efficiency
                low, high = (eff.ci_low, eff.ci_high) if k.name == "efficiency_delta" else \
                    (eff.adjusted_ci_low, eff.adjusted_ci_high)
                usage = bool(eff.basis and eff.basis.startswith("usage"))
                note = t("interval_note", low=fmt(low, "fraction", book.lang, signed=True),
                         high=fmt(high, "fraction", book.lang, signed=True),
                         basis=t("basis_usage_short" if usage else "basis_outcomes_short"))
        book.put(ws, r, 3, units.get(k.unit, k.unit), customer=k.unit == "currency")
        book.put(ws, r, 4, formula(k.name, METRICS[k.name].formula, book.lang))
        book.put(ws, r, 5, note, italic=True, color=NOTE_COLOR)
        for c in (1, 2, 5):
            book.style(ws, r, c, TOP)
        book.style(ws, r, 3, TOP_INDENTED)
        book.wrap(ws, r, 4)


def _value(book: _Book, ws: _Sheet) -> None:
    data, t = book.data, book.t
    book.title(ws, t("value_title"), book.subtitle())
    book.put(ws, 3, 1, t("value_formula_note"), italic=True, color=NOTE_COLOR)
    book.header(ws, HEADER_ROW, [t("feature"), t("basis_col"), t("events"), t("units"), t("minutes_saved"),
                                 t("hours_saved"), t("value"), t("category"), t("description")])
    drivers = {row.feature: (row.category, row.description) for row in data.drivers.itertuples(index=False)}
    rows = data.report.cost.by_feature
    first = HEADER_ROW + 1
    value_if = "IF(ISNUMBER(HourlyCost),{expr},\"\")"
    hourly = data.account.hourly_cost
    hours, values = [], []
    for r, item in enumerate(rows, start=first):
        volume_col = "D" if item.basis == "unit" else "C"
        book.put(ws, r, 1, data.name(item.feature, book.lang), customer=True)
        book.put(ws, r, 2, t("basis_unit" if item.basis == "unit" else "basis_use"))
        book.put(ws, r, 3, item.events, INT)
        book.put(ws, r, 4, item.units, TWO)
        book.put(ws, r, 5, item.minutes_saved, TWO, color=INPUT_COLOR)
        book.style(ws, r, 5, fill=INPUT)
        hours.append((item.units if item.basis == "unit" else item.events) * item.minutes_saved / 60)
        values.append(hours[-1] * hourly if hourly is not None else "")
        book.put(ws, r, 6, f"={volume_col}{r}*E{r}/60", TWO, cached=hours[-1])
        book.put(ws, r, 7, "=" + value_if.format(expr=f"F{r}*HourlyCost"), book.money, cached=values[-1])
        driver = drivers.get(item.feature)
        category, description = driver if driver is not None else (None, None)
        book.put(ws, r, 8, None if driver is None else term("category", category, book.lang), customer=True)
        book.style(ws, r, 8, INDENTED)  # clear of the money to its left
        book.put(ws, r, 9, description, customer=True)
    last = first + len(rows) - 1
    total = last + 1
    if not rows:
        book.put(ws, first, 1, t("no_value_rows"), italic=True, color=NOTE_COLOR)
        total = first + 1
    book.put(ws, total, 1, t("total"), bold=True)
    book.total_hours = float(sum(hours))
    book.total_value = float(sum(values)) if hourly is not None else t("na")
    sums = {3: (INT, "C", sum(i.events for i in rows)), 4: (TWO, "D", sum(i.units for i in rows)),
            6: (TWO, "F", book.total_hours)}
    for col, (number_format, letter, cached) in sums.items():
        book.put(ws, total, col, f"=SUM({letter}{first}:{letter}{last})" if rows else 0, number_format, bold=True,
                 cached=cached)
    book.put(ws, total, 7, f"=IF(ISNUMBER(HourlyCost),{f'SUM(G{first}:G{last})' if rows else 0},{book.na()})",
             book.money, bold=True, cached=book.total_value)
    for col in range(1, 10):
        book.style(ws, total, col, fill=TOTAL)
    book.name("TotalHoursSaved", ws, f"$F${total}")
    book.name("TotalValue", ws, f"$G${total}")
    ws.freeze(first, 2)
    _widths(ws, {"A": 26, "B": 12, "C": 10, "D": 12, "E": 16, "F": 14, "G": 18, "H": 14, "I": 44})
    if rows:
        priced = data.account.hourly_cost is not None
        chart = book.chart("bar", t("chart_value" if priced else "chart_hours"), 16, max(6.0, 0.5 * len(rows) + 3))
        chart.set_style(10)
        chart.add_series({"values": ws.span(first, last, 7 if priced else 6), "categories": ws.span(first, last, 1),
                          "gap": 60})
        chart.set_legend({"none": True})
        # a bar chart's x axis is its value axis in XlsxWriter: whole units on it; categories largest first, top down
        chart.set_x_axis({"num_format": book.money.replace("0.00", "0") if priced else HOURS})
        chart.set_y_axis({"reverse": True, "crossing": "max"})  # reversed, the value axis stays at the bottom
        ws.ws.insert_chart(total + 2, 0, chart)


def _efficiency(book: _Book, ws: _Sheet) -> None:
    data, t = book.data, book.t
    eff = data.report.efficiency
    usage = eff.basis.startswith("usage")
    book.title(ws, t("efficiency_title"), book.subtitle())
    book.put(ws, 3, 1, f"{t('basis')}: {t('basis_usage' if usage else 'basis_outcomes')}", italic=True,
             color=NOTE_COLOR)
    book.header(ws, HEADER_ROW, [t("month"), t("output_units"), t("headcount"), t("output_per_person"),
                                 t("units_per_active_user"), t("window")])
    first = HEADER_ROW + 1
    for r, row in enumerate(data.output.itertuples(index=False), start=first):
        book.put(ws, r, 1, row.month, MONTH)
        for col, value in ((2, row.output_units), (3, row.headcount), (4, row.output_per_person),
                           (5, row.units_per_active_user)):
            book.put(ws, r, col, None if value != value else value, INT if col == 3 else TWO)
        book.put(ws, r, 6, t(row.window) if row.window else "")
    last = first + len(data.output) - 1
    ws.freeze(first, 2)

    block = [("baseline_mean", eff.baseline, TWO), ("current_mean", eff.current, TWO),
             ("delta", eff.delta, SIGNED_PCT), ("interval", eff.ci_low, SIGNED_PCT),
             ("adjusted_delta", eff.adjusted_delta, SIGNED_PCT),
             ("adjusted_interval", eff.adjusted_ci_low, SIGNED_PCT),
             ("comparison_accounts", eff.comparison_accounts, INT),
             ("comparison_delta", eff.comparison_delta, SIGNED_PCT)]
    book.header(ws, HEADER_ROW, [t("metric"), t("figure"), ""], col=8, tall=False)
    for r, (key, value, number_format) in enumerate(block, start=first):
        book.put(ws, r, 8, t(key), bold=True)
        book.put(ws, r, 9, value if value is not None else t("na"), number_format)
        if key.endswith("interval"):
            high = eff.ci_high if key == "interval" else eff.adjusted_ci_high
            book.put(ws, r, 10, high if high is not None else t("na"), number_format)
    r = first + len(block)
    book.put(ws, r, 8, t("method"), bold=True)
    book.put(ws, r, 9, reason(book.lang, eff.method) or t("na"))
    why = eff.reason or (eff.adjusted_reason if eff.delta is not None else None)
    if why:  # why the delta, or only its trend adjustment, is missing
        book.put(ws, r + 1, 8, t("reason"), bold=True)
        book.put(ws, r + 1, 9, reason(book.lang, why), color="C00000")
    _widths(ws, {"A": 11, "B": 13, "C": 11, "D": 14, "E": 16, "F": 12, "G": 3, "H": 40, "I": 14, "J": 14})
    if len(data.output):
        column = 5 if usage else 4
        chart = book.chart("line", t("chart_units" if usage else "chart_output"), 18, 7.5)
        chart.add_series({"name": ws.ref(HEADER_ROW, column), "values": ws.span(first, last, column),
                          "categories": ws.span(first, last, 1), "smooth": False})  # smoothed, it dips below 0
        chart.set_legend({"none": True})
        chart.set_y_axis({"name": t("output_per_person" if not usage else "units_per_active_user")})
        chart.set_x_axis({"num_format": MONTH})
        ws.ws.insert_chart(first + len(block) + 3, 7, chart)


