"""Case studies: every number a draft prints is a metric function's output; anonymized drafts name no one; the
pages show the functions' figures and never a peer's name."""
from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from conftest import ROOT
from pptx import Presentation
from streamlit.testing.v1 import AppTest

from exports.case_study import case_study_pptx, markdown
from metrics import adoption, catalog, cost, efficiency
from metrics.accounts import get_account
from metrics.benchmarks import benchmark
from metrics.case_study import anonymize, case_study, case_study_candidates, time_to_value
from metrics.demo import load_demo
from metrics.efficiency import BASELINE_MONTHS, CONFIDENCE
from metrics.period import add_months, default_period
from metrics.store import connect

NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?")
DATE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("cases") / "demo.duckdb"
    con = connect(path)
    load_demo(con)
    return con, str(path)


def printed_numbers(text: str) -> set[str]:
    """Every number in the text, dates and month labels split into their parts."""
    text = DATE.sub(lambda m: " ".join(g for g in m.groups() if g), text.replace("\\-", "-"))
    return {n.lstrip("+") for n in NUMBER.findall(text)}


def expected_numbers(con, account_id: str, period) -> set[str]:
    """The figures the metric functions give, in every format a draft uses, plus the draft's own constants."""
    start, end = period.start, period.end
    account = get_account(con, account_id)
    eff = efficiency.efficiency(con, account_id=account_id, start=start, end=end)
    money = cost.cost(con, account_id=account_id, start=start, end=end)
    features = adoption.feature_adoption(con, account_id=account_id, start=start, end=end)
    first = adoption.time_to_first_use(con, account_id=account_id)
    values: list[str] = []

    def pct(x):  # signs are kept: a delta printed with the wrong sign is not explained
        if x is not None and not pd.isna(x):
            values.extend([f"{x:+.1%}" if x < 0 else f"{x:.1%}", f"{x:.0%}"])

    def num(x, *decimals, absolute=False):  # absolute: a figure the text words as "n days before"
        if x is not None and not pd.isna(x):
            values.extend(f"{abs(x) if absolute else x:,.{d}f}" for d in decimals)

    for x in (eff.delta, eff.ci_low, eff.ci_high, eff.adjusted_delta, eff.adjusted_ci_low, eff.adjusted_ci_high,
              money.roi, adoption.key_feature_adoption(features)):
        pct(x)
    num(eff.baseline, 2)
    num(eff.current, 2)
    num(money.hours_saved, 1)
    num(money.fte_equivalent, 2)
    num(money.value, 2)
    num(money.payback_months, 1)
    num(adoption.breadth(con, account_id=account_id, start=start, end=end), 2)
    num(time_to_value(con, account_id=account_id), 0, absolute=True)
    for rate in features["adoption_rate"]:
        pct(rate)
    for hours in money.by_feature["hours_saved"]:
        num(hours, 1)
    for days in first["days_from_go_live"]:
        num(days, 0)
    dates = [account.go_live_date, *[pd.Timestamp(d).date() for d in first["first_used_at"]], start,
             *[m for m in eff.baseline_months], *[m for m in eff.current_months]]
    for d in dates:
        values.extend([f"{d.year}", f"{d.month:02d}", f"{d.day:02d}", f"{d.month}"])
    study = case_study(con, account_id=account_id, start=start, end=end)
    values += [str(i) for i in range(1, len(study.steps) + 1)]  # step numbers, and the count of features
    # months since go-live: the curve table's columns and the results heading
    values += [str(int(m)) for m in study.curves["months_since_go_live"].dropna()]
    values += [str(m) for m in study.months_after_go_live or ()]
    values += [str(account.seats), str(BASELINE_MONTHS), f"{CONFIDENCE:.0%}", str(eff.comparison_accounts)]
    return {v.lstrip("+") for v in values}


def test_every_number_in_a_case_study_is_a_metric_functions_figure(demo):
    con, _ = demo
    period = default_period(con)
    account_id = case_study_candidates(con, start=period.start, end=period.end)["account_id"].iloc[0]
    text = markdown(case_study(con, account_id=account_id, start=period.start, end=period.end), "en").decode()
    study = case_study(con, account_id=account_id, start=period.start, end=period.end)
    # the monthly curve rates: checked against feature_adoption month by month in the next test
    curve_rates = {f"{r:.0%}" for r in study.curves["adoption_rate"]}
    unexplained = printed_numbers(text) - expected_numbers(con, account_id, period) - curve_rates
    assert not unexplained, unexplained
    # and each headline sentence carries its figures in their places (signs, the interval's order, the days)
    money = cost.cost(con, account_id=account_id, start=period.start, end=period.end)
    eff = efficiency.efficiency(con, account_id=account_id, start=period.start, end=period.end)
    days = time_to_value(con, account_id=account_id)
    lines = text.splitlines()
    assert (f"- **Per-person efficiency**: {eff.delta:+.1%} (90% interval {eff.ci_low:+.1%} to "
            f"{eff.ci_high:+.1%}): {eff.current:,.2f} against {eff.baseline:,.2f} per person per month.") in lines
    assert f"- **Hours saved**: {money.hours_saved:,.1f} h in the period, {money.fte_equivalent:,.2f} FTE." in lines
    assert f"- **Money saved**: {money.currency} {money.value:,.2f}." in lines
    assert (f"- **Return on the annual contract**: {money.roi:+.1%}; payback in {money.payback_months:,.1f} "
            "months.") in lines
    ttv = (f"Time to value: the first value feature was already in use {-days:.0f} days before go-live (pilot)."
           if days < 0 else f"Time to value: the first value feature was in use {days:.0f} days after go-live.")
    assert ttv in lines


def test_the_curves_a_case_study_shows_are_the_monthly_adoption_rates(demo):
    con, _ = demo
    period = default_period(con)
    study = case_study(con, account_id="A002", start=period.start, end=period.end)
    month = study.curves["month"].iloc[-1]
    by_month = adoption.feature_adoption(con, account_id="A002", start=month, end=add_months(month, 1))
    expected = dict(zip(by_month["feature"], by_month["adoption_rate"]))
    shown = study.curves[study.curves["month"] == month]
    assert dict(zip(shown["feature"], shown["adoption_rate"])) == pytest.approx(
        {f: expected[f] for f in shown["feature"]})


def test_an_anonymized_case_study_names_no_one_in_markdown_or_slides(demo):
    con, _ = demo
    period = default_period(con)
    accounts = catalog.list_accounts(con)
    study = anonymize(case_study(con, account_id="A002", start=period.start, end=period.end))
    for lang in ("en", "zh"):
        text = markdown(study, lang).decode()
        deck = Presentation(io.BytesIO(case_study_pptx(study, lang)))
        slides = "\n".join(sh.text_frame.text for s in deck.slides for sh in s.shapes if sh.has_text_frame)
        for name, account_id in zip(accounts["account_name"], accounts["account_id"]):
            assert name not in text and name not in slides
            assert account_id not in text
    # read as written: no backslash before a hyphen or a full stop (the draft once said "200\\-seat")
    assert "A 200-seat logistics company in North America" in markdown(study, "en").decode()
    assert "\\" not in markdown(study, "en").decode()


def test_the_case_study_deck_has_the_stories_slides_with_an_editable_chart(demo):
    con, _ = demo
    period = default_period(con)
    study = case_study(con, account_id="A002", start=period.start, end=period.end)
    deck = Presentation(io.BytesIO(case_study_pptx(study, "en")))
    titles = [s.shapes.title.text for s in deck.slides]
    assert titles == ["Case study: Northwind Freight", "Customer profile", "The solution",
                      "The results (months 12–14 after go-live)", "In the customer's words"]
    assert any(sh.has_chart for s in deck.slides for sh in s.shapes)


def app(path: str, monkeypatch, page: str) -> AppTest:
    monkeypatch.setenv("VALUELENS_DB", path)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["lang"] = "en"
    at.run()
    return at.switch_page(page).run()


def test_the_benchmarks_page_shows_the_benchmark_functions_figures_and_no_peer_name(demo, monkeypatch):
    con, path = demo
    at = app(path, monkeypatch, "views/benchmarks.py")
    at.selectbox(key="bench_account").select("A004").run()
    at.radio(key="bench_cohort").set_value("region").run()
    assert not at.exception
    period = default_period(con)
    bench = benchmark(con, account_id="A004", start=period.start, end=period.end, cohort="region")
    shown = at.dataframe[0].value
    assert list(shown["Percentile"]) == ["n/a" if f.percentile is None else f"{f.percentile:.0f}"
                                         for f in bench.figures]
    assert list(shown["Peers"]) == [f.peers or 0 for f in bench.figures]
    own = get_account(con, "A004").name
    others = [n for n in catalog.list_accounts(con)["account_name"] if n != own]
    page_text = shown.to_csv() + "\n".join(str(e.value) for e in (*at.markdown, *at.caption))
    assert not [n for n in others if n in page_text]


def test_the_case_studies_page_ranks_candidates_and_drafts_the_chosen_one(demo, monkeypatch):
    con, path = demo
    at = app(path, monkeypatch, "views/case_studies.py")
    assert not at.exception
    period = default_period(con)
    expected = case_study_candidates(con, start=period.start, end=period.end, limit=20)
    assert list(at.dataframe[0].value["account_id"]) == list(expected["account_id"])
    at.selectbox(key="cs_account").select("A012").run()
    at.toggle(key="cs_anonymous").set_value(True).run()
    assert not at.exception
    draft = anonymize(case_study(con, account_id="A012", start=period.start, end=period.end))
    assert at.markdown[-1].value == markdown(draft, "en").decode().strip()
    assert "Cedar Stores" not in at.markdown[-1].value


def test_customer_text_in_a_case_study_cannot_become_markup_but_reads_as_written(demo):
    """A name or feature carrying links, HTML, emphasis or table pipes comes out escaped; hyphens and full stops,
    which cannot start markup inside a line, are left alone."""
    from dataclasses import replace

    con, _ = demo
    period = default_period(con)
    study = case_study(con, account_id="A002", start=period.start, end=period.end)
    study = replace(study, name="Acme-Nord Ltd. [win](http://x) <img src=x> *big* | ~old~ `c`")
    text = markdown(study, "en").decode()
    escaped = "Acme-Nord Ltd. \\[win\\](http://x) \\<img src=x\\> \\*big\\* \\| \\~old\\~ \\`c\\`"
    assert text.count("Acme-Nord") == text.count(escaped) == 4  # title, profile, solution, quote
