"""The QBR deck's customer slides: results, adoption, efficiency, value, what was asked, next steps, appendix."""
from __future__ import annotations

from pptx.enum.dml import MSO_THEME_COLOR
from pptx.util import Inches

from exports.audience import asked_rows
from exports.deck.builder import MAX_BARS, Deck
from exports.deck.parts import (
    adoption_chart,
    efficiency_chart,
    objectives_rows,
    shown_months,
    underused_rows,
    value_chart,
)
from exports.safety import safe_cell_text
from exports.strings import reason
from metrics.privacy import MIN_OTHERS
from metrics.registry import METRICS
from metrics.story import TOP_GAPS
from wording import formula


def _results(deck: Deck) -> None:
    """Results against the goals set in the sale (metrics.objectives); no slide without objectives."""
    rep = deck.data.report
    if not rep.objectives:
        return
    slide = deck.slide(deck.t("deck_results"))
    statuses = [o.status for o in rep.objectives]
    deck.textbox(slide, deck.left, deck.top, deck.content_width, Inches(0.6),
                 [deck.t("results_line", share=deck.f(rep.value_delivered, "fraction"), n=len(statuses),
                         achieved=statuses.count("achieved"), on_track=statuses.count("on_track"))], 18, bold=True,
                 color=MSO_THEME_COLOR.ACCENT_1)
    deck.table(slide, objectives_rows(deck), (deck.left, deck.top + Inches(0.8), deck.content_width, 0),
               [0.26, 0.12, 0.12, 0.12, 0.14, 0.11, 0.13])




def _asked(deck: Deck) -> None:
    """What the customer asked for and what was shipped (metrics.requirements): one row per requirement (a request
    not grouped yet is its own row, in the customer's words), newest first; no slide without requests."""
    requests_table(deck, deck.t("deck_asked"))


def requests_table(deck: Deck, title: str, statuses: tuple[str, ...] | None = None) -> None:
    """The account's requests (exports.audience.asked_rows) as a table over as many slides as it needs, titled
    `title`; `statuses`: only the requirements in these; no slide without a row."""
    rows = asked_rows(deck.data, deck.lang, statuses)
    if len(rows) > 1:
        deck.paged_table(title, rows, [0.52, 0.14, 0.16, 0.18])


def _adoption(deck: Deck) -> None:
    data, use = deck.data, deck.data.report.adoption
    if shown_months(data).empty:
        return
    slide = deck.slide(deck.t("deck_adoption"))
    chart_width = int(deck.content_width * 0.66)
    adoption_chart(deck, slide, (deck.left, deck.top, chart_width, deck.content_height))
    lines = [f"{deck.t('kpi_key_feature_adoption')}: {deck.f(use.key_feature_adoption, 'fraction')}",
             f"{deck.t('kpi_seat_utilization')}: {deck.f(use.seat_utilization, 'fraction')}",
             f"{deck.t('stickiness')}: {deck.f(use.stickiness, 'fraction')}",
             f"{deck.t('breadth')}: {deck.f(use.breadth, 'number')}"]
    if data.account.go_live_date:
        lines.append(deck.t("go_live_note", date=data.account.go_live_date.isoformat()))
    side = deck.left + chart_width + Inches(0.3)
    deck.textbox(slide, side, deck.top + Inches(0.3), deck.width - side - deck.left, deck.content_height, lines, 16,
                 bullets=True)


def _efficiency(deck: Deck) -> None:
    eff = deck.data.report.efficiency
    if eff.delta is None and eff.baseline is None:
        return  # nothing measured (not live, no data): the summary's notes say why
    slide = deck.slide(deck.t("deck_efficiency"))
    usage = bool(eff.basis and eff.basis.startswith("usage"))
    chart_width = int(deck.content_width * 0.62)
    efficiency_chart(deck, slide, (deck.left, deck.top, chart_width, deck.content_height))
    lines = [deck.t("eff_points_basis", basis=deck.t("basis_usage_words" if usage else "basis_outcomes_words"))]
    if eff.ci_low is not None and eff.ci_high is not None and eff.ci_low <= 0 <= eff.ci_high:
        lines.append(deck.t("eff_interval_note"))
    if eff.delta is not None:
        lines.insert(0, deck.t("eff_points_delta", delta=deck.f(eff.delta, "fraction", signed=True),
                               low=deck.f(eff.ci_low, "fraction", signed=True),
                               high=deck.f(eff.ci_high, "fraction", signed=True)))
        lines.insert(1, f"{deck.t('baseline_mean')}: {deck.f(eff.baseline, 'number')} → "
                        f"{deck.t('current')}: {deck.f(eff.current, 'number')}")
    if eff.adjusted_delta is not None:
        lines.insert(2, deck.t("eff_points_adjusted", adjusted=deck.f(eff.adjusted_delta, "fraction", signed=True),
                               n=eff.comparison_accounts))
    if eff.reason:
        lines.insert(0, deck.t("exec_eff_na", reason=reason(deck.lang, eff.reason)))
    side = deck.left + chart_width + Inches(0.3)
    deck.textbox(slide, side, deck.top + Inches(0.3), deck.width - side - deck.left, deck.content_height, lines, 16,
                 bullets=True)


def _value(deck: Deck) -> None:
    data, money = deck.data, deck.data.report.cost
    rows = money.by_feature[:MAX_BARS]
    if (not rows and not money.hours_saved) or data.story.case == "onboarding":
        return  # nothing saved yet, or early use while onboarding: the summary says what there is
    slide = deck.slide(deck.t("deck_value"))
    chart_width = int(deck.content_width * 0.66)
    if value_chart(deck, slide, (deck.left, deck.top, chart_width, deck.content_height)) is None:
        deck.textbox(slide, deck.left, deck.top, chart_width, Inches(1), [deck.t("no_value_rows")], 18)
    lines = [deck.t("value_points", value=deck.f(money.value, "currency"), hours=deck.f(money.hours_saved,
                                                                                           "hours"),
                    fte=deck.f(money.fte_equivalent, "number")),
             f"{deck.t('hourly_cost')}: {deck.f(data.account.hourly_cost, 'currency', compact=False)}",
             deck.t("value_formula_note")]
    side = deck.left + chart_width + Inches(0.3)
    deck.textbox(slide, side, deck.top + Inches(0.3), deck.width - side - deck.left, deck.content_height, lines, 16,
                 bullets=True)


def _underused(deck: Deck) -> None:
    data = deck.data
    slide = deck.slide(deck.t("deck_underused"))
    every = data.report.adoption.underused_features
    items, rest = every[:TOP_GAPS], every[TOP_GAPS:]
    top = deck.top
    if not data.peers_shown:
        deck.textbox(slide, deck.left, top, deck.content_width, Inches(0.8),
                     [deck.t("peers_hidden", min=MIN_OTHERS)], 16)
        top += Inches(1)
    elif not items:
        deck.textbox(slide, deck.left, top, deck.content_width, Inches(0.8), [deck.t("no_recommendations")], 16)
        top += Inches(1)
    else:
        rows = underused_rows(deck)  # the same top gaps as `items`
        deck.table(slide, rows, (deck.left, top, deck.content_width, 0), [0.26, 0.13, 0.13, 0.16, 0.14, 0.18])
        top += Inches(0.4) * len(rows) + Inches(0.4)
    def worth(items: tuple) -> str:
        priced = [i.value_left for i in items if i.value_left is not None]
        return deck.f(sum(priced), "currency") if len(priced) == len(items) else \
            deck.f(sum(i.hours_left or 0 for i in items), "hours")

    steps = [deck.t("step", feature=data.name(i.feature, deck.lang), users=deck.f(i.non_adopters, "count"),
                    value=worth((i,)), period=data.period.label()) for i in items]
    if rest:
        steps.append(deck.t("steps_more", n=len(rest), value=worth(rest)))
    steps.append(deck.t("step_generic"))
    deck.textbox(slide, deck.left, top, deck.content_width, Inches(0.5), [deck.t("next_steps")], 18, bold=True,
                 color=MSO_THEME_COLOR.TEXT_2)
    deck.textbox(slide, deck.left, top + Inches(0.5), deck.content_width,
                 deck.top + deck.content_height - top - Inches(0.5), steps, 16, bullets=True)




def _trainees(deck: Deck) -> None:
    """Appendix: who to invite to training for each underused feature, as the export was asked to show people
    (names, initials or pseudonyms); no slide otherwise."""
    lists = deck.data.trainees
    if not lists:
        return
    rows = [[deck.t("trainee_feature"), deck.t("trainee_person"), deck.t("trainee_days")]]
    rows += [[safe_cell_text(deck.data.name(feature, deck.lang)), safe_cell_text(person), str(days)]
             for feature, people_shown in lists.items() for person, days in people_shown]
    if len(rows) > 1:
        deck.paged_table(deck.t("deck_trainees"), rows, [0.42, 0.33, 0.25], across=2)


def _appendix(deck: Deck) -> None:
    """Formulas in plain words, then the assumptions, over as many slides as they need."""
    data = deck.data
    formulas = [[deck.t("metric"), deck.t("formula")]]
    formulas += [[deck.t(f"kpi_{k.name}"), formula(k.name, METRICS[k.name].formula, deck.lang)]
                 for k in data.kpis]
    assumptions = [[deck.t("assumption"), deck.t("figure")],
                   [deck.t("period"), data.period.label()],
                   [deck.t("hourly_cost"), deck.f(data.account.hourly_cost, "currency", compact=False)],
                   [deck.t("hours_per_year"), deck.f(data.hours_per_year, "count")],
                   [deck.t("acv"), deck.f(data.account.annual_contract_value, "currency")]]
    unit = {"use": deck.t("basis_use"), "unit": deck.t("basis_unit")}
    assumptions += [[safe_cell_text(data.name(d.feature, deck.lang)),
                     deck.t("minutes_per", minutes=f"{d.minutes_saved:g}", basis=unit.get(d.basis, d.basis))]
                    for d in data.drivers.itertuples(index=False)]
    slide = deck.slide(deck.t("deck_appendix"))
    tall = Inches(0.5)  # a formula wraps onto two lines
    deck.table(slide, formulas, (deck.left, deck.top, deck.content_width, 0), [0.3, 0.7], size=11,
               row_height=tall)
    deck.paged_table(deck.t("deck_appendix"), assumptions, [0.6, 0.4], size=11, row_height=Inches(0.3), across=2,
                     continued=True)



