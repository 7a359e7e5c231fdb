"""The QBR deck's opening: the title slide and the executive summary, told by the account's case (metrics.story)."""
from __future__ import annotations

from datetime import date

from pptx.enum.dml import MSO_THEME_COLOR
from pptx.util import Inches

from exports.audience import internal_lines
from exports.data import confirmation_lines
from exports.deck.builder import Deck
from exports.strings import reason
from metrics.story import MIN_ACTIVE_USERS, MIN_EFFICIENCY_MONTHS, TOP_GAPS


def _title(deck: Deck) -> None:
    data = deck.data
    deck.title_slide(data.account.name, [f"{deck.t('deck_title')} · {data.period.label()}",
                                         deck.t("prepared", date=date.today().isoformat())])


def _headline(deck: Deck) -> str:
    """The summary slide's headline, chosen by the account's case (metrics.story): true in tense and claim."""
    data, story = deck.data, deck.data.story
    money, period = data.report.cost, data.period.label()
    hours = deck.f(money.hours_saved, "hours")
    fte = deck.f(money.fte_equivalent, "number")
    if story.case == "onboarding":
        active = deck.f(story.active_users or 0, "count")
        seats = data.account.seats
        return deck.t("story_onboarding", active=active, seats=deck.f(seats, "count")) if seats \
            else deck.t("story_onboarding_no_seats", active=active)
    if story.case == "declining":
        return deck.t("story_declining", change=deck.f(-story.usage_change, "fraction"), months=data.months)
    if story.case == "positive" and money.value is not None:
        if money.roi is not None:
            return deck.t("story_positive", value=deck.f(money.value, "currency"), period=period,
                          roi=deck.f(money.roi, "fraction", signed=True))
        return deck.t("story_positive_no_roi", value=deck.f(money.value, "currency"), period=period)
    return deck.t("story_hours", hours=hours, period=period, fte=fte)


def held_note(deck: Deck) -> list[str]:
    """Why the efficiency change is not on the summary, for the speaker notes (none when it is)."""
    eff, held = deck.data.report.efficiency, deck.data.story.efficiency_held
    if held is None:
        return []
    return [deck.t(f"eff_held_{held}", low=deck.f(eff.ci_low, "fraction", signed=True),
                   high=deck.f(eff.ci_high, "fraction", signed=True), n=MIN_EFFICIENCY_MONTHS,
                   reason=reason(deck.lang, eff.reason))]


def _efficiency_line(deck: Deck) -> list[str]:
    """The efficiency change as a summary point, only when it may lead (metrics.story.efficiency_held): its interval
    beside it and its basis in words."""
    eff = deck.data.report.efficiency
    if deck.data.story.efficiency_held is not None:  # not measured, or not clear of zero: the notes say why
        return []
    adjusted = deck.t("exec_eff_adjusted", adjusted=deck.f(eff.adjusted_delta, "fraction", signed=True)) \
        if eff.adjusted_delta is not None else ""
    usage = bool(eff.basis and eff.basis.startswith("usage"))
    return [deck.t("exec_eff_usage" if usage else "exec_eff", delta=deck.f(eff.delta, "fraction", signed=True),
                   low=deck.f(eff.ci_low, "fraction", signed=True), high=deck.f(eff.ci_high, "fraction", signed=True),
                   adjusted=adjusted)]


def _value_line(deck: Deck) -> str:
    money, period = deck.data.report.cost, deck.data.period.label()
    hours, fte = deck.f(money.hours_saved, "hours"), deck.f(money.fte_equivalent, "number")
    return deck.t("exec_value", value=deck.f(money.value, "currency"), period=period, hours=hours, fte=fte) \
        if money.value is not None else deck.t("exec_value_na", period=period, hours=hours, fte=fte)


def _since_line(deck: Deck) -> list[str]:
    """Value since go-live and against the months before the period, when both are measured."""
    data, story = deck.data, deck.data.story
    if story.cumulative_value is None or data.account.go_live_date is None:
        return []
    since = {"date": data.account.go_live_date.isoformat(), "cumulative": deck.f(story.cumulative_value, "currency")}
    if story.value_change is None:
        return [deck.t("story_since_only", **since)]
    return [deck.t("story_since", **since, change=deck.f(story.value_change, "fraction", signed=True),
                   months=data.months, previous=deck.f(story.previous_value, "currency"))]


def story_lines(deck: Deck) -> list[str]:
    """The summary slide's points for the account's case (metrics.story), in the order a CSM tells them."""
    data, story = deck.data, deck.data.story
    money, period, acc = data.report.cost, data.period.label(), data.account
    if story.case == "onboarding":
        live = acc.go_live_date
        lines = [deck.t("story_go_live_none") if live is None else
                 deck.t("story_go_live_later", date=live.isoformat()) if live >= data.period.end else
                 deck.t("story_go_live_done", date=live.isoformat(), min=MIN_ACTIVE_USERS),
                 deck.t("story_onboarding_use", active=deck.f(story.active_users or 0, "count"), period=period,
                        seats=deck.f(data.report.adoption.seat_utilization, "fraction"))]
        if money.hours_saved:
            lines.append(deck.t("story_onboarding_early", hours=deck.f(money.hours_saved, "hours"),
                                value=deck.f(money.value, "currency")))
        return [*lines, deck.t("story_onboarding_unlock")]
    if story.case == "declining":
        return [deck.t("story_declining_risk", before=deck.f(story.active_users_before, "count"),
                       now=deck.f(story.active_users, "count"),
                       change=deck.f(story.usage_change, "fraction", signed=True)),
                _value_line(deck), *_since_line(deck), *_efficiency_line(deck), deck.t("story_declining_plan")]
    if story.case == "below_break_even":
        lines = [*_efficiency_line(deck), _value_line(deck), *_since_line(deck),
                 deck.t("story_below_value", value=deck.f(money.value, "currency"), period=period,
                        share=deck.f(money.value / story.break_even_value, "fraction"),
                        break_even=deck.f(story.break_even_value, "currency"),
                        roi=deck.f(money.roi, "fraction", signed=True))]
        if story.value_gap is not None:
            gap, hours = deck.f(story.value_gap, "currency"), deck.f(story.hours_gap, "hours")
            lines.append(deck.t("story_path", gap=gap, hours=hours, n=TOP_GAPS,
                                upside=deck.f(story.upside_value, "currency"))
                         if story.upside_value is not None else deck.t("story_path_no_gaps", gap=gap, hours=hours))
        return lines
    lines = [_value_line(deck), *_since_line(deck)]
    if money.roi is not None and money.payback_months is not None:
        lines.append(deck.t("story_pace", payback=deck.f(money.payback_months, "months")))
    elif money.roi is None:
        lines.append(deck.t("story_no_contract") if not acc.annual_contract_value
                     else deck.t("exec_roi_na", reason=reason(deck.lang, money.reason)))
    return [*lines, *_efficiency_line(deck)]


def _summary(deck: Deck) -> None:
    rep, story = deck.data.report, deck.data.story
    money, eff = rep.cost, rep.efficiency
    slide = deck.slide(deck.t("deck_exec"))
    deck.textbox(slide, deck.left, deck.top, deck.content_width, Inches(0.8), [_headline(deck)], 24, bold=True,
                 color=MSO_THEME_COLOR.ACCENT_1)
    gap = Inches(0.3)
    width = (deck.content_width - 2 * gap) // 3
    if story.case == "onboarding":
        cards = [("kpi_seat_utilization", deck.f(rep.adoption.seat_utilization, "fraction")),
                 ("active_users", deck.f(story.active_users or 0, "count")),
                 ("kpi_hours_saved", deck.f(money.hours_saved, "hours"))]
    else:
        first = ("kpi_hours_saved", deck.f(money.hours_saved, "hours")) \
            if story.case == "below_break_even" or money.value is None else \
            ("kpi_value", deck.f(money.value, "currency"))
        second = ("kpi_value", deck.f(money.value, "currency")) if first[0] == "kpi_hours_saved" and \
            money.value is not None else ("kpi_roi", deck.f(money.roi, "fraction", signed=True))
        # the efficiency change is a card only when it may lead (its interval clear of zero, enough months)
        middle = ("kpi_efficiency_delta", deck.f(eff.delta, "fraction", signed=True)) \
            if story.efficiency_held is None else \
            ("kpi_key_feature_adoption", deck.f(rep.adoption.key_feature_adoption, "fraction"))
        cards = [first, middle, second]
    top = deck.top + Inches(0.9)
    for i, (key, value) in enumerate(cards):
        deck.card(slide, (deck.left + i * (width + gap), top, width, Inches(1.3)), deck.t(key), value)
    below = top + Inches(1.6)
    deck.textbox(slide, deck.left, below, deck.content_width, deck.top + deck.content_height - below,
                 story_lines(deck) + confirmation_lines(deck.data, deck.lang), 16, bullets=True)
    deck.notes(slide, [deck.t(f"notes_{story.case}"), deck.t("notes_assumptions"), *held_note(deck),
                       deck.t("notes_internal"), *internal_lines(deck.data, deck.lang)])


