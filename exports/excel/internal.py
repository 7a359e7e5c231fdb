"""The value report's business case sheet (projected against realized, month by month, with live formulas) and its
Internal sheet (health and its components, lifecycle, the QBR story, risks, attention reasons, the figures in the
bottom quarter among peers), which the CSM leaves out of what the customer gets (`--customer`)."""
from __future__ import annotations

from exports.audience import bottom_peers, health_line, risk_lines
from exports.data import PEER_COLUMNS
from exports.excel.book import (
    HEADER_ROW,
    INPUT,
    INPUT_COLOR,
    INT,
    LEFT,
    MONTH,
    NOTE_COLOR,
    PCT,
    TITLE_COLOR,
    TOTAL,
    TWO,
    _Book,
    _Sheet,
    _widths,
)
from metrics.objectives import RAMP_MONTHS
from wording import STAGES, attention_reason


def _business_case(book: _Book, ws: _Sheet) -> None:
    """Projected = BusinessCaseAnnual / 12 x MIN(1, n / ramp), realized = hours saved x HourlyCost, month by month
    since go-live, with the totals to date and the realized share: every figure a formula over visible inputs."""
    data, t = book.data, book.t
    case = data.report.projection
    book.title(ws, t("business_case_title"), book.subtitle())
    _widths(ws, {"A": 30, "B": 16, "C": 16, "D": 18, "E": 18})
    if case is None:
        book.put(ws, HEADER_ROW, 1, t("business_case_none"), italic=True, color=NOTE_COLOR)
        return
    book.put(ws, 3, 1, t("business_case_hint"), italic=True, color=NOTE_COLOR)
    book.put(ws, HEADER_ROW, 1, t("business_case_annual"), bold=True)
    book.put(ws, HEADER_ROW, 2, case.annual_value, book.money, color=INPUT_COLOR)
    book.style(ws, HEADER_ROW, 2, fill=INPUT)
    book.name("BusinessCaseAnnual", ws, f"$B${HEADER_ROW}")
    head = HEADER_ROW + 2
    book.header(ws, head, [t("month_col"), t("hours_col"), t("projected_col"), t("realized_col")])
    first = head + 1
    rate = data.account.hourly_cost
    for n, (r, m) in enumerate(zip(range(first, first + len(case.months)), case.months), start=1):
        book.put(ws, r, 1, m.month, MONTH)
        book.style(ws, r, 1, LEFT)
        hours = m.realized / rate if m.realized is not None and rate else None
        book.put(ws, r, 2, hours, TWO)
        book.put(ws, r, 3, f"=BusinessCaseAnnual/12*MIN(1,{n}/{RAMP_MONTHS})", book.money, cached=m.projected)
        book.put(ws, r, 4, f"=IF(AND(ISNUMBER(HourlyCost),ISNUMBER(B{r})),B{r}*HourlyCost,{book.na()})", book.money,
                 cached=m.realized if m.realized is not None else t("na"))
    last = first + len(case.months) - 1
    total = last + 1
    book.put(ws, total, 1, t("total"), bold=True)
    book.put(ws, total, 3, f"=SUM(C{first}:C{last})", book.money, bold=True, cached=case.projected_to_date)
    realized = case.realized_to_date if case.realized_to_date is not None else t("na")
    book.put(ws, total, 4, f"=IF(COUNT(D{first}:D{last})>0,SUM(D{first}:D{last}),{book.na()})", book.money,
             bold=True, cached=realized)
    for col in range(1, 5):
        book.style(ws, total, col, fill=TOTAL)
    book.put(ws, total + 1, 1, t("realized_share"), bold=True)
    book.put(ws, total + 1, 4, f"=IF(AND(ISNUMBER(D{total}),C{total}>0),D{total}/C{total},{book.na()})", PCT,
             bold=True, cached=case.realized_share if case.realized_share is not None else t("na"))
    ws.freeze(first, 2)
    chart = book.chart("column", t("chart_projection"), 18, 8)
    for col in (3, 4):
        chart.add_series({"name": ws.ref(head, col), "values": ws.span(first, last, col),
                          "categories": ws.span(first, last, 1), "gap": 60})
    chart.set_x_axis({"num_format": MONTH})
    chart.set_y_axis({"num_format": book.money.replace("0.00", "0")})
    chart.set_legend({"position": "bottom"})
    ws.ws.insert_chart(total + 3, 0, chart)


def _internal(book: _Book, ws: _Sheet) -> None:
    """What the CSM reads before the meeting and the customer does not: health, stage, story, attention, risks."""
    data, t, lang = book.data, book.t, book.lang
    book.title(ws, t("internal_title"), book.subtitle())
    book.put(ws, 3, 1, t("internal_hint"), italic=True, color="C00000")
    _widths(ws, {"A": 34, "B": 16, "C": 12, "D": 12, "E": 60})
    rows = [(t("internal_score"), health_line(data, lang))]
    if data.report.lifecycle is not None:
        stage = data.report.lifecycle
        rows += [(t("internal_stage"), STAGES.get(lang, STAGES["en"]).get(stage.stage, stage.stage)),
                 (t("internal_since"), f"{stage.since:%Y-%m-%d}")]
    rows.append((t("internal_story"), t(f"story_case_{data.story.case}")))
    r = HEADER_ROW
    for label, value in rows:
        book.put(ws, r, 1, label, bold=True)
        book.put(ws, r, 2, value)
        r += 1
    r += 1
    health = data.report.health
    book.header(ws, r, [t("health_component"), t("health_figure"), t("health_weight"), t("health_points")],
                tall=False)
    for c in health.components if health else ():
        if not c.weight:
            continue
        r += 1
        book.put(ws, r, 1, t(f"health_{c.name}"))
        book.put(ws, r, 2, c.value, PCT)
        book.put(ws, r, 3, c.weight, TWO)
        book.put(ws, r, 4, c.contribution, TWO)
    today = data.today.isoformat() if data.today else ""
    r += 2
    book.put(ws, r, 1, t("internal_attention", today=today), bold=True, size=13, color=TITLE_COLOR)
    reasons = [attention_reason(f.rule, f.values, lang) for f in data.flags] or \
        [t("internal_attention_none", today=today)]
    for reason in reasons:
        r += 1
        book.put(ws, r, 1, f"• {reason}")
    r += 2
    book.put(ws, r, 1, t("internal_risks"), bold=True, size=13, color=TITLE_COLOR)
    risks = risk_lines(data, lang) or [t("risk_none")]
    for risk in risks:
        r += 1
        book.put(ws, r, 1, f"• {risk}")
    low = bottom_peers(data, lang)
    if low:
        r += 2
        book.put(ws, r, 1, t("internal_bottom_peers"), bold=True, size=13, color=TITLE_COLOR)
        r += 1
        book.header(ws, r, [t(f"peer_col_{c}") for c in PEER_COLUMNS], tall=False)
        formats = {"fraction": PCT, "hours": TWO, "currency": book.money, "number": TWO}
        for row in low:
            r += 1
            for c, key in enumerate(PEER_COLUMNS, start=1):
                number_format = "0" if key == "percentile" else INT if key == "peers" else \
                    formats.get(str(row["unit"])) if key in ("own", "p25", "median", "p75") else None
                book.put(ws, r, c, row[key], number_format, customer=key == "cohort")
