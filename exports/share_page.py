"""The customer's own value page, as data and as one self-contained HTML file.

`payload` is what a link shows (metrics.sharing keeps it with the link): one account and period, in one language,
built from exports.data.gather and exports.audience's policy for the customer: value and how it is computed,
progress against the objectives and the business case, adoption since go-live, what the customer asked for and
what shipped, peers outside the bottom quarter under metrics.privacy. Never health, stage, attention, risks or
people: `INTERNAL_KEYS` names what must never appear, and a test reads every payload for them. Texts are final
(formatted in the link's language), so share.py and the HTML file show the same words; the raw figures ride along
for the confirmation (metrics.sharing.changed_since).

`html` renders a payload as one file (`cli.py export --format html`): Jinja2 with autoescaping (every text from the
data is the customer's, never markup), the charts as plotly figures with plotly.js inlined once, so the file opens
with no network."""
from __future__ import annotations

from datetime import date, datetime

import duckdb
import pandas as pd

from exports.audience import asked_rows, customer_peers
from exports.data import ExportData, figures_of, gather
from exports.strings import fmt, text
from metrics.objectives import UNITS as OBJECTIVE_UNITS
from metrics.period import Period
from metrics.registry import METRICS
from wording import formula

PAYLOAD_VERSION = 1
ADOPTION_MONTHS = 12
CARDS = (("value", "currency"), ("hours_saved", "hours"), ("fte_equivalent", "FTE"), ("roi", "fraction"),
         ("payback_months", "months"))
# what the customer's page never carries (the CSM's signals: exports.audience)
INTERNAL_KEYS = ("health", "lifecycle", "stage", "attention", "flags", "risks", "trainees", "stakeholders",
                 "internal")


def payload(con: duckdb.DuckDBPyConnection, account_id: str, period: Period, lang: str,
            data: ExportData | None = None) -> dict[str, object]:
    """The page of one account and period in `lang`; DataError for an unknown account."""
    data = data or gather(con, account_id, period)
    rep, cost = data.report, data.report.cost
    f = lambda value, unit, **kw: fmt(value, unit, lang, data.currency, **kw)  # noqa: E731
    cards = [{"key": key, "label": text(lang, f"kpi_{key}"), "value": f(getattr(cost, key), unit),
              "formula": text(lang, "share_formula", formula=formula(key, METRICS[key].formula, lang))}
             for key, unit in CARDS]
    figures = figures_of(rep)
    version = data.version
    return {
        "payload_version": PAYLOAD_VERSION, "lang": lang, "account_id": data.account.account_id,
        "account_name": data.account.name, "period": {"start": period.start.isoformat(),
                                                      "end": period.end.isoformat(), "label": period.label()},
        "built_at": datetime.now().isoformat(timespec="seconds"),
        "title": text(lang, "share_title", name=data.account.name),
        "cards": cards, "figures": figures,
        "promised": _promised(data, lang),
        "adoption": _adoption(data, lang),
        "asked": _asked(data, lang),
        "peers": _peers(data, lang),
        "value_model_version": version.value_model_version if version else None,
        "data_version": f"{version.import_id}:{version.value_model_version}" if version else None,
        "version_line": text(lang, "share_version", id=version.import_id if version else 0,
                             model=version.value_model_version if version else 0),
    }


def _promised(data: ExportData, lang: str) -> dict[str, object]:
    rep = data.report
    header = [text(lang, f"share_obj_col_{c}") for c in ("metric", "baseline", "now", "target", "due", "progress",
                                                          "status")]
    rows = []
    for o in rep.objectives:
        unit, signed = OBJECTIVE_UNITS[o.metric], o.metric.endswith("_delta")
        rows.append([text(lang, f"metric_{o.metric}"), fmt(o.baseline, unit, lang, data.currency, signed=signed),
                     fmt(o.current, unit, lang, data.currency, signed=signed),
                     fmt(o.target, unit, lang, data.currency, signed=signed), o.target_date.isoformat(),
                     fmt(o.progress, "fraction", lang), text(lang, f"status_{o.status}")])
    case = rep.projection
    return {"header": header, "rows": rows,
            "delivered": text(lang, "share_value_delivered", share=fmt(rep.value_delivered, "fraction", lang))
            if rep.value_delivered is not None else None,
            "business_case": text(lang, "share_business_case",
                                  projected=fmt(case.projected_to_date, "currency", lang, data.currency),
                                  realized=fmt(case.realized_to_date, "currency", lang, data.currency),
                                  share=fmt(case.realized_share, "fraction", lang))
            if case is not None and case.realized_to_date is not None else None}


def _adoption(data: ExportData, lang: str) -> dict[str, object]:
    """Active users a month since go-live (at most ADOPTION_MONTHS, up to the period's end)."""
    mau = data.mau
    live = data.account.go_live_date
    if live is not None:
        mau = mau[pd.to_datetime(mau["month"]) >= pd.Timestamp(date(live.year, live.month, 1))]
    mau = mau.tail(ADOPTION_MONTHS)
    seats = data.account.seats
    return {"months": [pd.Timestamp(m).strftime("%Y-%m") for m in mau["month"]],
            "active_users": [int(n) for n in mau["active_users"]],
            "label": text(lang, "share_adoption"),
            "caption": text(lang, "share_adoption_caption",
                            seats=text(lang, "share_adoption_seats", seats=f"{int(seats):,}") if seats else "")}


def _asked(data: ExportData, lang: str) -> dict[str, object]:
    """What the customer asked for, as the deck shows it (exports.audience.asked_rows)."""
    header, *rows = asked_rows(data, lang)
    return {"header": header, "rows": rows}


def _peers(data: ExportData, lang: str) -> dict[str, object] | None:
    """The peer figures a customer reads (exports.audience.customer_peers, under metrics.privacy)."""
    rows = [[r["figure"], fmt(r["own"], r["unit"], lang, data.currency),
             fmt(r["median"], r["unit"], lang, data.currency) if r["median"] is not None else "—",
             f"{int(r['percentile'])}" if r["percentile"] is not None else "—"]
            for r in customer_peers(data, lang) if r["median"] is not None]
    if not rows:
        return None
    return {"header": [text(lang, f"share_peers_col_{c}") for c in ("figure", "own", "median", "percentile")],
            "rows": rows, "caption": text(lang, "share_peers_caption")}


def adoption_figure(page: dict[str, object]):
    """The adoption chart of a page (plotly), or None without months."""
    import plotly.graph_objects as go

    adoption = page["adoption"]
    if not adoption["months"]:  # type: ignore[index]
        return None
    figure = go.Figure(go.Bar(x=adoption["months"], y=adoption["active_users"],  # type: ignore[index]
                              marker_color="#2f6f9f"))
    figure.update_layout(height=320, margin={"l": 40, "r": 10, "t": 10, "b": 40}, yaxis={"tickformat": ",d"},
                         xaxis={"type": "category"},
                         font={"family": "Noto Sans CJK SC, Noto Sans, sans-serif"})
    return figure


_TEMPLATE = """<!DOCTYPE html>
<html lang="{{ page.lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ page.title }}</title>
<style>
body { font-family: "Noto Sans CJK SC", "Noto Sans", "Helvetica Neue", Arial, sans-serif; margin: 0; color: #1d2733;
       background: #f6f7f9; }
main { max-width: 1040px; margin: 0 auto; padding: 32px 24px 48px; }
h1 { font-size: 30px; margin: 0 0 4px; } h2 { font-size: 20px; margin: 32px 0 12px; }
.muted { color: #5b6673; font-size: 14px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 12px; }
.card { background: #fff; border: 1px solid #dde2e8; border-radius: 8px; padding: 14px; }
.card .label { font-size: 14px; color: #5b6673; } .card .value { font-size: 26px; font-weight: 600; margin: 6px 0; }
.card .formula { font-size: 12px; color: #5b6673; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 14px; }
th, td { border: 1px solid #dde2e8; padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: #eef1f5; }
</style></head>
<body><main>
<h1>{{ page.title }}</h1>
<p class="muted">{{ period_line }}</p>
<p>{{ t("share_intro") }}</p>
<h2>{{ t("share_figures") }}</h2>
<div class="cards">{% for c in page.cards %}
<div class="card"><div class="label">{{ c.label }}</div><div class="value">{{ c.value }}</div>
<div class="formula">{{ c.formula }}</div></div>{% endfor %}
</div>
<h2>{{ t("share_promised") }}</h2>
{% if page.promised.rows %}<table><tr>{% for h in page.promised.header %}<th>{{ h }}</th>{% endfor %}</tr>
{% for row in page.promised.rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}
</table>{% else %}<p class="muted">{{ t("share_objectives_none") }}</p>{% endif %}
{% if page.promised.delivered %}<p>{{ page.promised.delivered }}</p>{% endif %}
{% if page.promised.business_case %}<p>{{ page.promised.business_case }}</p>{% endif %}
<h2>{{ page.adoption.label }}</h2>
{{ adoption_chart | safe }}
<p class="muted">{{ page.adoption.caption }}</p>
<h2>{{ t("share_asked") }}</h2>
{% if page.asked.rows %}<table><tr>{% for h in page.asked.header %}<th>{{ h }}</th>{% endfor %}</tr>
{% for row in page.asked.rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}
</table>{% else %}<p class="muted">{{ t("share_asked_none") }}</p>{% endif %}
{% if page.peers %}<h2>{{ t("share_peers") }}</h2>
<table><tr>{% for h in page.peers.header %}<th>{{ h }}</th>{% endfor %}</tr>
{% for row in page.peers.rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}
</table><p class="muted">{{ page.peers.caption }}</p>{% endif %}
<p class="muted">{{ page.version_line }} · {{ t("share_footer") }}</p>
</main></body></html>
"""


def period_line(page: dict[str, object]) -> str:
    built = str(page["built_at"])[:10]
    return text(str(page["lang"]), "share_period", period=page["period"]["label"], built=built)  # type: ignore[index]


def html(page: dict[str, object]) -> str:
    """The page as one self-contained HTML document (plotly.js inlined: it opens offline)."""
    from jinja2 import Environment

    lang = str(page["lang"])
    figure = adoption_figure(page)
    chart = figure.to_html(full_html=False, include_plotlyjs=True, config={"displayModeBar": False}) \
        if figure is not None else ""
    template = Environment(autoescape=True).from_string(_TEMPLATE)
    return template.render(page=page, t=lambda key, **v: text(lang, key, **v), adoption_chart=chart,
                           period_line=period_line(page))


def html_export(con: duckdb.DuckDBPyConnection, account_id: str, period: Period, lang: str) -> bytes:
    """`cli.py export --format html`: the customer's page of one account and period as a file."""
    return html(payload(con, account_id, period, lang)).encode("utf-8")
