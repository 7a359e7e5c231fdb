"""The QBR tells the account's true story: the case is chosen by the rules in metrics.story, the deck's headline and
points follow it in both languages, nothing runs off a slide on a 16:9 or a 4:3 template."""
from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pytest
from conftest import displayed
from pptx import Presentation

from exports.data import gather
from exports.deck import build_pptx
from metrics import report
from metrics.accounts import get_account
from metrics.demo import load_demo
from metrics.period import add_months, default_period
from metrics.store import connect
from metrics.story import DECLINE, MIN_ACTIVE_USERS, storyline


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("story") / "demo.duckdb")
    load_demo(con)
    return con


def _mau(period_start: date, before: int, now: int, months: int = 3) -> list[tuple[date, int]]:
    """A flat series of `before` users for `months` months, then `now` users in the period's `months` months."""
    return [(add_months(period_start, k), before if k < 0 else now) for k in range(-months, months)]


def test_the_rules_pick_each_case(demo):
    period = default_period(demo)
    account = get_account(demo, "A001")
    base = report.account_report(demo, account_id="A001", period=period)
    steady = _mau(period.start, 60, 60)
    positive = replace(base, cost=replace(base.cost, roi=0.25))
    assert storyline(positive, account, steady).case == "positive"
    assert storyline(replace(base, cost=replace(base.cost, roi=-0.25)), account, steady).case == "below_break_even"
    # the path to break-even of a real account below it: the value a period must reach, the gap, in hours
    low, small = report.account_report(demo, account_id="A004", period=period), get_account(demo, "A004")
    story = storyline(low, small, steady)
    assert story.case == "below_break_even" and low.cost.roi < 0
    assert story.break_even_value == pytest.approx(small.annual_contract_value * 3 / 12)
    assert story.value_gap == pytest.approx(story.break_even_value - low.cost.value)
    assert story.hours_gap == pytest.approx(story.value_gap / small.hourly_cost)
    assert story.upside_value == pytest.approx(sum(u.value_left for u in low.adoption.underused_features[:3]))
    # a fall of DECLINE is a decline, whatever the return; a smaller one is not
    assert storyline(positive, account, _mau(period.start, 100, round(100 * (1 - DECLINE)))).case == "declining"
    assert storyline(positive, account, _mau(period.start, 100, 90)).case == "positive"
    # not live, live only after the period, or too few users: onboarding, whatever the return
    assert storyline(replace(positive, go_live_date=None), account, steady).case == "onboarding"
    assert storyline(replace(positive, go_live_date=period.end), account, steady).case == "onboarding"
    few = _mau(period.start, MIN_ACTIVE_USERS - 1, MIN_ACTIVE_USERS - 1)
    assert storyline(positive, account, few).case == "onboarding"
    assert storyline(positive, account, _mau(period.start, MIN_ACTIVE_USERS, MIN_ACTIVE_USERS)).case == "positive"


def test_the_risks_name_renewal_seat_use_decline_and_low_percentiles(demo):
    period = default_period(demo)
    account = get_account(demo, "A001")
    base = report.account_report(demo, account_id="A001", period=period)
    soon = replace(account, renewal_date=add_months(period.end, 2))
    far = replace(account, renewal_date=add_months(period.end, 12))
    low = replace(base, adoption=replace(base.adoption, seat_utilization=0.3))
    today = period.end  # days to renewal are counted from today
    story = storyline(low, soon, _mau(period.start, 100, 50), [("breadth", 10.0), ("value_per_seat", 60.0)],
                      today=today)
    assert {(r.code, r.detail) for r in story.risks} == {
        ("renewal_soon", soon.renewal_date.isoformat()), ("low_seat_use", None), ("usage_down", None),
        ("below_peers", "breadth")}
    assert next(r.value for r in story.risks if r.code == "renewal_soon") == (soon.renewal_date - today).days
    later = storyline(low, soon, _mau(period.start, 100, 50), today=add_months(period.end, 1))
    assert next(r.value for r in later.risks if r.code == "renewal_soon") == (soon.renewal_date - add_months(
        period.end, 1)).days
    high = replace(base, adoption=replace(base.adoption, seat_utilization=0.9))
    assert storyline(high, far, _mau(period.start, 60, 60), [("breadth", 50.0)], today=today).risks == ()


# the demo plants one account of each case (data/demo/generate.py)
CASES = {"positive": "A001", "below_break_even": "A004", "declining": "A019", "onboarding": "A038"}
HEADLINES = {  # what the summary slide's headline says, by case and language
    ("positive", "en"): "annualised return on the contract", ("positive", "zh"): "合同年化回报率",
    ("below_break_even", "en"): "full-time people", ("below_break_even", "zh"): "名全职员工的工作量",
    ("declining", "en"): "Active users down", ("declining", "zh"): "活跃用户较前",
    ("onboarding", "en"): "Getting live", ("onboarding", "zh"): "上线进行中",
}
PAYBACK_CLAIMS = ("paid back", "pays for itself in", "cover a year of the contract", "即可回本", "即可覆盖一年")


def _summary_texts(pptx: bytes) -> tuple[str, str, str]:
    """The executive summary slide's headline, its whole text, and its speaker notes."""
    prs = Presentation(io.BytesIO(pptx))
    slide = next(s for s in prs.slides if s.shapes.title is not None and s.shapes.title.text in
                 ("Executive summary", "摘要"))
    boxes = [sh for sh in slide.shapes if sh.has_text_frame and sh != slide.shapes.title and sh.text_frame.text]
    return boxes[0].text_frame.text, "\n".join(b.text_frame.text for b in boxes), \
        slide.notes_slide.notes_text_frame.text


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_deck_tells_the_accounts_case_and_never_claims_payback_below_break_even(demo, case, lang):
    data = gather(demo, CASES[case], default_period(demo))
    assert data.story.case == case
    headline, text, notes = _summary_texts(build_pptx(data, lang))
    assert HEADLINES[(case, lang)] in headline
    assert [h for (c, lang_), h in HEADLINES.items() if lang_ == lang and c != case and h in headline] == []
    if data.report.cost.roi is None or data.report.cost.roi < 0:
        assert not [claim for claim in PAYBACK_CLAIMS if claim in text], text
    else:
        assert any(claim in text for claim in PAYBACK_CLAIMS), text
    # what the CSM checks before presenting is in the notes, not on the customer's slide
    check = {"en": "review the value model assumptions", "zh": "复核价值模型假设"}[lang]
    assert check in notes and check not in text


def test_a_below_break_even_deck_shows_the_path_to_break_even(demo):
    data = gather(demo, CASES["below_break_even"], default_period(demo))
    _, text, _ = _summary_texts(build_pptx(data, "en"))
    assert "Path to break-even" in text and displayed(data.story.value_gap, "currency", "CNY", compact=True) in text
    assert f"{data.report.cost.roi:+.1%}" in text  # the return is shown, not hidden


def _four_by_three() -> bytes:
    template = Presentation()
    template.slide_width, template.slide_height = 9144000, 6858000
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_shape_lies_inside_the_slide_on_16_9_and_4_3(demo, lang):
    period = default_period(demo)
    outside = []
    for case, account_id in CASES.items():
        data = gather(demo, account_id, period)
        for name, template in (("16:9", None), ("4:3", _four_by_three())):
            prs = Presentation(io.BytesIO(build_pptx(data, lang, template)))
            width, height = prs.slide_width, prs.slide_height
            for n, slide in enumerate(prs.slides, start=1):
                for shape in slide.shapes:
                    if shape.left is None:  # a placeholder placed by its layout
                        continue
                    if shape.left < 0 or shape.top < 0 or shape.left + shape.width > width or \
                            shape.top + shape.height > height:
                        outside.append((case, name, n, shape.name))
    assert outside == []


def test_the_deck_has_an_agenda_and_numbered_slides(demo):
    prs = Presentation(io.BytesIO(build_pptx(gather(demo, "A001", default_period(demo)), "en")))
    titles = [s.shapes.title.text if s.shapes.title is not None else "" for s in prs.slides]
    assert titles[1] == "Agenda"
    agenda = next(sh for sh in prs.slides[1].shapes if sh.has_text_frame and sh != prs.slides[1].shapes.title)
    listed = [line.split(maxsplit=1) for line in agenda.text_frame.text.splitlines()]
    assert [(int(n), title) for n, title in listed] == [
        (n, t) for n, t in enumerate(titles, start=1) if n > 2 and "(continued)" not in t]
    namespace = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
    numbers = [[f.findtext(f"{namespace}t") for f in slide._element.iter(f"{namespace}fld") if f.get("type") ==
                "slidenum"] for slide in prs.slides]
    assert numbers == [[]] + [[str(n)] for n in range(2, len(titles) + 1)]


def test_the_summary_gives_value_since_go_live_and_against_the_months_before(demo):
    """Cumulative value since the go-live month is the sum of its months; the change compares as many months."""
    from metrics import cost

    period = default_period(demo)
    data = gather(demo, "A001", period)
    live = data.account.go_live_date
    month, total = date(live.year, live.month, 1), 0.0
    while month < period.end:
        total += cost.cost(demo, account_id="A001", start=month, end=add_months(month, 1)).value
        month = add_months(month, 1)
    assert data.story.cumulative_value == pytest.approx(total)
    before = sum(cost.cost(demo, account_id="A001", start=add_months(period.start, -k),
                           end=add_months(period.start, 1 - k)).value for k in (1, 2, 3))
    assert data.story.previous_value == pytest.approx(before)
    assert data.story.value_change == pytest.approx(data.report.cost.value / before - 1)
    _, text, _ = _summary_texts(build_pptx(data, "en"))
    assert f"{displayed(total, 'currency', 'CNY', compact=True)} of value in all" in text
    assert f"{data.story.value_change:+.1%}" in text
    assert gather(demo, "A038", period).story.cumulative_value is None  # never live: nothing since go-live


def test_value_features_losing_a_third_of_their_adopters_are_risks_the_steepest_three_named(demo):
    from metrics.story import FEATURE_DECLINE, History

    period = default_period(demo)
    account = get_account(demo, "A001")
    base = report.account_report(demo, account_id="A001", period=period)
    valued = [f for f in base.adoption.features if f.has_value_driver and f.adopters >= 10]
    # five features lost 40 % to 80 % of their adopters, one lost just under a third, one grew
    before = {f.feature: round(f.adopters / (1 - d)) for f, d in zip(valued, (0.4, 0.5, 0.6, 0.7, 0.8))}
    before[valued[5].feature] = round(valued[5].adopters / (1 - FEATURE_DECLINE + 0.05))
    before[valued[6].feature] = valued[6].adopters // 2
    story = storyline(base, account, _mau(period.start, 60, 60), past=History(None, None, before))
    named = [(r.detail, r.value) for r in story.risks if r.code == "feature_down"]
    assert [d for d, _ in named] == [f.feature for f in valued[4:1:-1]]  # steepest first
    assert named[0][1] == pytest.approx(valued[4].adopters / before[valued[4].feature] - 1)
    assert [r.value for r in story.risks if r.code == "feature_down_more"] == [2]
    # the risks are the CSM's: in the internal appendix (and the summary's notes), never on a customer slide
    deck = build_pptx(replace(gather(demo, "A001", period), story=story), "zh", internal=True)
    risks = next(s for s in Presentation(io.BytesIO(deck)).slides
                 if s.shapes.title.text == "仅供客户成功经理：发送前请删除")
    text = "\n".join(sh.text_frame.text for sh in risks.shapes if sh.has_text_frame)
    shown = gather(demo, "A001", period)  # features named in Chinese, as the value model names them
    assert all(f"{shown.name(feature, 'zh')}：使用人数较本期之前的月份变化" in text for feature, _ in named)
    assert "另有 2 项价值功能的使用人数减少了三成以上" in text


def test_the_history_reads_only_what_it_shows_and_equals_the_full_usage_for_every_account(demo):
    """history reads one statement per window (adoption.feature_use), not a whole Usage: its value before, value
    since go-live and each listed feature's adopters before are exactly what cost_of and feature_adoption give from
    the full usage, for every demo account (the live and never-live, priced and unpriced ones)."""
    from metrics import adoption, cost
    from metrics.accounts import all_accounts
    from metrics.period import Period
    from metrics.story import history

    period = default_period(demo)
    before = Period(add_months(period.start, -3), period.start)
    lives = 0
    for account in all_accounts(demo):
        past = history(demo, account, period)
        use = adoption.usage(demo, account, before.start, before.end)
        features = adoption.feature_adoption_of(use)
        assert past.adopters_before == dict(zip(features["feature"], features["adopters"].astype(int)))
        assert past.previous_value == cost.cost_of(account, use, before).value
        live = account.go_live_date
        if live is not None and live < period.end:
            lifetime = Period(date(live.year, live.month, 1), period.end)
            lives += 1
            assert past.cumulative_value == cost.cost_of(
                account, adoption.usage(demo, account, lifetime.start, lifetime.end), lifetime).value
        else:
            assert past.cumulative_value is None
    assert 0 < lives < len(all_accounts(demo))
