"""The domain's words in English and Simplified Chinese, without Streamlit, so the pages (through i18n), the exports
and the CLI say the same thing: metric formulas, the reasons a figure is missing or a row is rejected, units, and
the values of the few enums people read (industry, region, segment, import kind, value-model basis and category).

A reason is stored and passed around as its English sentence, one of a fixed vocabulary (the validate_*.sql files,
metrics.ingest, metrics.efficiency, metrics.cost, metrics.benchmarks); wording.reasons.REASONS_ZH holds each one's Chinese, and a
test fails when the code can emit a reason that has none. Reasons joined by "; " are translated one by one."""
from __future__ import annotations

import re
from collections.abc import Callable

from wording.reasons import REASONS_ZH, reason  # noqa: F401 - re-exported: wording.reason, wording.REASONS_ZH

# Metric formulas for people; English comes from the metric registry (metrics.registry.METRICS[name].formula).
FORMULAS_ZH: dict[str, str] = {
    "value": "节省工时 × 人力小时成本",
    "hours_saved": "各功能 使用次数（或工作件数）× 节省分钟 / 60 之和",
    "fte_equivalent": "节省工时 / (统计期月数 × 每年工作小时 / 12)",
    "efficiency_delta": "当前期人均产出均值 / 基线期（上线当月前 3 个月）人均产出均值 - 1",
    "adjusted_delta": "本客户上线后与上线前的人均产出（对数）之差，减去同期市场趋势（由所有尚未上线的客户-月份做双向固定效应回归估计）",
    "key_feature_adoption": "计入价值模型的各功能采用率的平均值",
    "seat_utilization": "各月 月活跃用户 / 席位数 的平均值",
    "roi": "(价值 × 12 / 统计期月数 - 年合同金额) / 年合同金额",
    "payback_months": "年合同金额 / (价值 / 统计期月数)",
    "objective_progress": "(当前值 - 基线) / (目标 - 基线)；基线可填写，未填写时取上线当月之前同样月数的数值（人效变化为 0）；"
                          "测得的基线已达到目标时，当前值仍达到目标为 1，否则为 0；"
                          "≥ 1 为已达成；目标日期已过仍未达成为未达成；进度 ≥ 上线至目标日期已过去的时间比例为按计划，否则为落后",
    "value_delivered": "各价值目标进度（截取在 0-100%）的平均值",
    "lifecycle_stage": "按月判定：上线前或活跃用户 / 席位数 < 25%（无席位数时活跃用户 < 5 人）为上线推进；达到该比例为已激活；"
                       "日活/月活 ≥ 0.14 且当月关键功能采用率 ≥ 0.35 连续 3 个月为习惯使用；低于曾达到的阶段，"
                       "或最近 3 个月活跃用户比之前 3 个月少 15% 以上，为有风险；习惯使用且最近一次续约为续约或扩容，为忠诚；"
                       "续约结果为流失的日期起为已流失",
    "health_score": "100 × Σ(权重 × 构成项) / 已计量构成项的权重之和；构成项：关键功能采用率；(人效变化 + 0.10) / 0.40；"
                    "席位利用率 / 0.80；0.5 + 活跃用户较之前月份的变化；距续约天数 / 180；价值目标达成率；1 - 最大用户占比；各项截取在 0-1；"
                    "权重为“数据 > 价值模型”页上生效的版本；未上线或构成项少于 3 项时不计分",
    "projected_value": "每月预期 = 商业论证年价值 / 12 × 爬坡系数（上线当月起第 n 个月为 n / 3，最多为 1）；每月实现 = 当月节省工时 × 人力小时成本；"
                       "实现比例 = 上线以来实现之和 / 预期之和",
    "value_concentration": "最大用户占比 = 贡献最多的 1 名用户的节省工时 / 客户的节省工时；前 3 名占比同理；最大用户占比超过 50% "
                           "即为单一骨干风险；没有节省工时时不计算",
    "health_backtest": "每次续约：取续约前至少 90 天结束的 3 个月计算健康度；AUC = 续约或扩容的客户得分高于缩减或流失客户的配对比例"
                       "（同分计一半）；最低十分位提升度 = 得分最低的十分之一中缩减或流失的比例 / 全部中的比例",
}

# the same formulas in plain English, for people (the registry's are in code notation, for METRICS.md)
FORMULAS_EN: dict[str, str] = {
    "value": "hours saved × loaded hourly cost",
    "hours_saved": "sum over features of uses (or work items) × minutes saved ÷ 60",
    "fte_equivalent": "hours saved ÷ (months in the period × working hours a year ÷ 12)",
    "efficiency_delta": "mean output per person in the months after go-live ÷ mean in the 3 months before the "
                        "go-live month − 1",
    "adjusted_delta": "the account's change in output per person, net of the market's month effects estimated from "
                      "every account-month not yet live (a two-way fixed-effects regression)",
    "key_feature_adoption": "average adoption rate of the features in the value model",
    "seat_utilization": "average over the months of monthly active users ÷ seats",
    "roi": "(value × 12 ÷ months in the period − annual contract value) ÷ annual contract value",
    "payback_months": "annual contract value ÷ (value ÷ months in the period)",
    "objective_progress": "(current − baseline) ÷ (target − baseline); the baseline as entered, or measured in as many "
                          "months before the go-live month (efficiency change: 0); a measured baseline already at the "
                          "target gives 1 while the figure stays there, else 0; achieved at 1 or more; missed when "
                          "the target date passed first; on track when at least the share of the time from go-live "
                          "to the target date that has passed; else behind",
    "value_delivered": "mean of the objectives' progress, each capped at 0-100 %",
    "lifecycle_stage": "each month: onboarding before go-live or under a quarter of the seats active (without seats: "
                       "under 5 active users); activated from there; habitual after 3 months in a row with DAU/MAU of "
                       "0.14 or more and the month's key-feature adoption of 0.35 or more; at risk below a stage "
                       "reached, or with 15 % fewer active users in the last 3 months than the 3 before; loyal when "
                       "habitual and the latest renewal was renewed or expanded; churned from a churned renewal on",
    "health_score": "100 × weighted mean of the measured components: key-feature adoption; (efficiency change + "
                    "0.10) ÷ 0.40; seat utilization ÷ 0.80; 0.5 + change of active users on the months before; days "
                    "to renewal ÷ 180; value delivered; 1 − the top user's share of the hours saved; each between 0 "
                    "and 1; the weights in force on Data > Value "
                    "model; no score before go-live or with fewer than 3 components",
    "projected_value": "projected each month = the business case's value a year ÷ 12 × min(1, n ÷ 3), n = 1 in the "
                       "go-live month; realized each month = hours saved that month × hourly cost; realized share = "
                       "realized since go-live ÷ projected since go-live",
    "value_concentration": "top-user share = the hours saved of the user who saves most ÷ the account's hours saved; "
                           "top-three share alike; a single-champion risk above 50 %; none without hours saved",
    "health_backtest": "per renewal, the health score of the 3 months ending at least 90 days before it; AUC = share "
                       "of (renewed or expanded, contracted or churned) pairs where the first scored higher (ties "
                       "half); lowest-decile lift = share contracted or churned among the lowest-scored tenth ÷ the "
                       "share among all",
}

UNITS_ZH = {"currency": "货币", "fraction": "比例", "hours": "小时", "FTE": "FTE", "months": "月", "number": "数值",
            "count": "个数", "users": "用户数", "hours per seat": "小时/席位", "currency per seat": "货币/席位",
            "days": "天"}

# the few terms whose values are identifiers, not words (the kinds of data, as the CLI's --kind names them)
TERMS_EN: dict[str, dict[str, str]] = {
    "kind": {"accounts": "Accounts", "events": "Usage events", "outcomes": "Business outcomes",
             "value_drivers": "Value drivers", "features": "Feature list", "users": "User list", "rollups": "Rollups",
             "objectives": "Objectives", "renewals": "Renewals", "requests": "Customer requests"},
}

TERMS_ZH: dict[str, dict[str, str]] = {
    "industry": {"logistics": "物流", "retail": "零售", "manufacturing": "制造", "financial services": "金融服务",
                 "healthcare": "医疗健康", "professional services": "专业服务"},
    "region": {"east china": "华东地区", "north china": "华北地区", "south china": "华南地区", "europe": "欧洲",
               "north america": "北美地区", "apac": "亚太地区"},
    "segment": {"smb": "中小客户", "mid-market": "中型客户", "enterprise": "大型客户"},
    "seat_band": {},
    "kind": {"accounts": "客户", "events": "使用事件", "outcomes": "业务产出", "value_drivers": "价值驱动因素",
             "features": "功能列表", "users": "用户列表", "rollups": "汇总数据", "objectives": "价值目标",
             "renewals": "续约记录", "requests": "客户需求"},
    "basis": {"use": "按使用次数", "unit": "按工作件数"},
    # the data contract's column types (metrics.ingest.contract.Column.type)
    "type": {"text": "文本", "date": "日期", "number": "数值", "metric id": "指标代码", "date-time": "日期时间", "month (yyyy-mm)": "月份（YYYY-MM）",
             "number > 0": "数值 > 0", "number >= 0": "数值 ≥ 0", "whole number >= 0": "整数 ≥ 0",
             "whole number >= 1": "整数 ≥ 1", "iso code": "ISO 代码", "use | unit": "use | unit（按次 | 按件）",
             "cost | efficiency | revenue | risk": "cost | efficiency | revenue | risk（成本 | 效率 | 收入 | 风险）",
             "request | bug": "request | bug（需求 | 缺陷）", "high | medium | low": "high | medium | low（高 | 中 | 低）",
             "renewed | expanded | contracted | churned":
                 "renewed | expanded | contracted | churned（续约 | 扩容 | 缩减 | 流失）"},
    "request_type": {"request": "需求", "bug": "缺陷"},
    "urgency": {"high": "高", "medium": "中", "low": "低"},
    "outcome": {"renewed": "续约", "expanded": "扩容", "contracted": "缩减", "churned": "流失"},
    "encoding": {"utf-8": "UTF-8", "utf-8 with bom": "UTF-8（带 BOM）", "gb18030": "GB18030", "gbk": "GBK",
                 "cp1252": "Windows-1252（西欧）", "utf-16 with bom": "UTF-16（带 BOM）", "cp932": "Shift-JIS（日文）",
                 "big5": "Big5（繁体中文）"},
    "category": {"efficiency": "效率", "cost": "成本", "revenue": "收入", "risk": "风险"},
}


def formula(metric: str, english: str, lang: str) -> str:
    """A metric's formula for people, in plain words: Chinese, plain English, or `english` (the registry's
    notation) for a metric without a plain form."""
    return (FORMULAS_ZH if lang == "zh" else FORMULAS_EN).get(metric, english)


def unit(name: str, lang: str) -> str:
    """A unit (currency, fraction, hours, ...) in `lang`."""
    return UNITS_ZH.get(name, name) if lang == "zh" else name


def term(kind: str, value: str | None, lang: str) -> str:
    """An enum value people read (an industry, a region, a segment, an import kind, a basis, a category) in `lang`;
    a value the catalog does not know (a customer's own industry name) is shown as it is."""
    if value is None:
        return ""
    terms = TERMS_ZH[kind] if lang == "zh" else TERMS_EN.get(kind, {})
    return terms.get(re.sub(r"\s+", " ", str(value)).strip().lower(), value)


# ---------------------------------------------------------------- objectives and lifecycle: the same words on the
# pages and in the exports (their catalogs take them from here)
OBJECTIVE_WORDS = {
    "en": {"status_achieved": "Achieved", "status_on_track": "On track", "status_behind": "Behind",
           "status_missed": "Missed", "status_open": "Open",
           "metric_efficiency_delta": "Per-person efficiency change", "metric_hours_saved": "Hours saved",
           "metric_value": "Value delivered", "metric_key_feature_adoption": "Key feature adoption",
           "metric_seat_utilization": "Seat utilization"},
    "zh": {"status_achieved": "已达成", "status_on_track": "按计划", "status_behind": "落后",
           "status_missed": "未达成", "status_open": "待定",
           "metric_efficiency_delta": "人效变化", "metric_hours_saved": "节省工时",
           "metric_value": "交付价值", "metric_key_feature_adoption": "关键功能采用率",
           "metric_seat_utilization": "席位利用率"},
}
HEALTH_COMPONENTS = {  # the health score's components (metrics.health.WEIGHTS)
    "en": {"adoption": "Key feature adoption", "efficiency": "Per-person efficiency change",
           "seats": "Seat utilization", "usage_trend": "Active users against the months before",
           "renewal": "Days to renewal", "value_delivered": "Value delivered against objectives",
           "concentration": "Top user's share of the hours saved"},
    "zh": {"adoption": "关键功能采用率", "efficiency": "人效变化", "seats": "席位利用率",
           "usage_trend": "活跃用户较之前的月份", "renewal": "距续约天数", "value_delivered": "价值目标兑现度",
           "concentration": "最大用户占节省工时的比例"},
}


def health_component(name: str, lang: str) -> str:
    """A health-score component's name in `lang`."""
    return HEALTH_COMPONENTS["zh" if lang == "zh" else "en"][name]


STAGES = {"en": {"onboarding": "onboarding", "activated": "activated", "habitual": "habitual", "loyal": "loyal",
                 "at_risk": "at risk", "churned": "churned"},
          "zh": {"onboarding": "上线推进", "activated": "已激活", "habitual": "习惯使用", "loyal": "忠诚",
                 "at_risk": "有风险", "churned": "已流失"}}


def risk_text(code: str, value: float | None, detail: str | None, lang: str, text: Callable[..., str],
              escape: Callable[[str], str] = str) -> str:
    """One risk of metrics.story (its code, figure and detail) in `lang`, in the words of the catalog `text` reads
    (a deck's sentences or a page's short phrases: each takes the values it needs); `escape` makes customer text (a
    feature name) safe where it is shown."""
    from wording.numbers import fmt

    if code == "renewal_soon":
        return text("risk_renewal_soon" if (value or 0) >= 0 else "risk_renewal_overdue", date=detail,
                    days=fmt(abs(value or 0), "count", lang))
    if code == "feature_down_more":
        return text("risk_feature_down_more", n=int(value or 0))
    if code == "feature_down":
        return text("risk_feature_down", feature=escape(detail or ""), value=fmt(value, "fraction", lang, signed=True))
    if code == "below_peers":
        return text("risk_below_peers", figure=text(f"fig_{detail}"), value=fmt(value, "count", lang))
    return text(f"risk_{code}", value=fmt(value, "fraction", lang, signed=code == "usage_down"))


def stage_labels(lang: str) -> dict[str, str]:
    """stage_<stage> -> the stage as a label (capitalised), for a catalog."""
    return {f"stage_{k}": v[:1].upper() + v[1:] for k, v in STAGES[lang].items()}

_ATTENTION = {
    "en": {"fell_stage": "fell from {stage} to at risk",
           "adoption_falling": "key-feature adoption fell {n} months in a row, {start} → {end}",
           "renewal_unhealthy": "renews in {days} days ({date}) with a health score of {score}",
           "renewal_unhealthy_na": "renews in {days} days ({date}); its health score cannot be computed",
           "renewal_undelivered": "renews in {days} days ({date}) with {share} of what was promised delivered",
           "renewal_negative_return": "renews in {days} days ({date}) at a negative return on the contract ({roi})",
           "renewal_passed": "renewal date passed {days} days ago ({date}) and no renewal is recorded",
           "never_live": "not live {months} months after its first use ({since}): {active} of {seats} seats "
                         "active",
           "never_live_no_seats": "not live {months} months after its first use ({since}): {active} active users",
           "delivered_falling": "value delivered against objectives fell from {start} to {end}"},
    "zh": {"fell_stage": "从{stage}跌至有风险",
           "adoption_falling": "关键功能采用率连续 {n} 个月下降，{start} → {end}",
           "renewal_unhealthy": "{days} 天后续约（{date}），健康度 {score}",
           "renewal_unhealthy_na": "{days} 天后续约（{date}），健康度无法计算",
           "renewal_undelivered": "{days} 天后续约（{date}），承诺价值仅兑现 {share}",
           "renewal_negative_return": "{days} 天后续约（{date}），合同回报为负（{roi}）",
           "renewal_passed": "续约日已过 {days} 天（{date}），尚无续约记录",
           "never_live": "首次使用（{since}）后 {months} 个月仍未上线：{seats} 个席位中 {active} 个活跃",
           "never_live_no_seats": "首次使用（{since}）后 {months} 个月仍未上线：{active} 个活跃用户",
           "delivered_falling": "价值目标兑现度从 {start} 降至 {end}"},
}


_HAN = re.compile(r"[\u3400-\u9fff]")


def title_in(title: str, lang: str) -> str:
    """A requirement title kept in both languages ("中文 / English", as metrics.requirements.apply stores them) in
    `lang`: the side in Chinese characters for Chinese, the other for English; any other title as it is (the
    customer's own words stay as they are)."""
    pieces = title.split(" / ")
    for cut in range(1, len(pieces)):  # a side may hold " / " itself ("企业微信 / 飞书单点登录 / Single sign-on")
        parts = [" / ".join(pieces[:cut]).strip(), " / ".join(pieces[cut:]).strip()]
        chinese = [bool(_HAN.search(p)) for p in parts]
        if all(parts) and chinese[0] != chinese[1]:
            return parts[chinese.index(lang == "zh")]
    return title


def why_not(status: object, note: object, lang: str) -> str:
    """Why a requirement is not supported for now (its status note, in `lang` when kept as "中文 / English", as
    titles are); empty for any other status or without a note."""
    if status == "not_supported" and isinstance(note, str) and note.strip():
        return title_in(note, lang)
    return ""


def attention_reason(rule: str, values: dict, lang: str) -> str:
    """One attention flag (metrics.attention.Flag's rule and values) as a sentence in `lang`."""
    from wording.numbers import fmt

    table = _ATTENTION.get(lang, _ATTENTION["en"])
    if rule == "fell_stage":
        return table[rule].format(stage=STAGES.get(lang, STAGES["en"])[str(values["from"])])
    if rule == "delivered_falling":
        return table[rule].format(start=fmt(values["from"], "fraction", lang), end=fmt(values["to"], "fraction", lang))
    if rule == "adoption_falling":
        return table[rule].format(n=values["months"], start=fmt(values["from"], "fraction", lang), end=fmt(values["to"], "fraction", lang))
    if rule == "never_live":
        return table[rule if values.get("seats") else "never_live_no_seats"].format(
            months=values["months"], since=f"{values['since']:%Y-%m}", active=fmt(values["active"], "count", lang),
            seats=fmt(values.get("seats"), "count", lang))
    days, score = int(values["days"]), values.get("score")
    day = str(values["renewal_date"])
    if rule == "renewal_undelivered":
        return table[rule].format(days=days, date=day, share=fmt(values["delivered"], "fraction", lang))
    if rule == "renewal_negative_return":
        return table[rule].format(days=days, date=day, roi=fmt(values["roi"], "fraction", lang, signed=True))
    if rule == "renewal_passed":
        return table[rule].format(days=abs(days), date=day)
    key = "renewal_unhealthy" if score is not None else "renewal_unhealthy_na"
    return table[key].format(days=days, date=day, score=fmt(score, "count", lang))  # n/a when there is no score


# ---------------------------------------------------------------- the requirement pool: statuses (the page and the
# CLI) and why a letter was suggested
REQUIREMENT_WORDS = {
    "en": {"req_status_new": "New", "req_status_accepted": "Accepted", "req_status_scheduled": "Scheduled",
           "req_status_in_progress": "In progress", "req_status_shipped": "Shipped",
           "req_status_not_supported": "Not supported for now"},
    "zh": {"req_status_new": "新建", "req_status_accepted": "已受理", "req_status_scheduled": "已排期",
           "req_status_in_progress": "开发中", "req_status_shipped": "已上线", "req_status_not_supported": "暂不支持"},
}
_PRIORITY = {
    "en": {"core_selling_point": "a core selling point: A", "gap": "a capability gap the product cannot solve: B",
           "gap_competitor": "a capability gap a competitor solves ({competitors}): A",
           "competitor_has": "a competitor has it ({competitors}): must have, B",
           "benefit_revenue": "brings more revenue: B", "benefit_cost": "lowers cost: B",
           "benefit_learnability": "makes the product quicker to learn: B",
           "benefit_workload": "saves workload: C", "benefit_brand": "brand value: D", "benefit_looks": "looks: D",
           "nature_unknown": "nature not judged yet: C",
           "urgent_bug": "a bug, {urgent} of {requests} requests high urgency: A (stability first)",
           "urgent": "{urgent} of {requests} requests high urgency: up one letter",
           "repeated": "demand: raised {requests} times over {months} months since {since}",
           "newest_bug": "a bug: the newest first (latest {newest})",
           "wide": "demand: asked by {accounts} accounts",
           "benchmark": "demand: asked by {accounts} accounts, the influential (benchmark) customers {benchmark} counted as 3 each: {weight}",
           "renewing": "demand: {renewing_share} of the requesters' contract value renews within 90 days",
           "demand_up": "demand ({signals} signal(s)): up one letter, one at most",
           "coverage": "asked by {accounts} account(s), {renewing_share} of their contract value renewing soon"},
    "zh": {"core_selling_point": "核心卖点：A", "gap": "产品当前无法解决的能力缺口：B",
           "gap_competitor": "竞品已能解决的能力缺口（{competitors}）：A",
           "competitor_has": "竞品已有（{competitors}）：必须有，B",
           "benefit_revenue": "增加收入：B", "benefit_cost": "降低成本：B", "benefit_learnability": "更易学易用：B",
           "benefit_workload": "减少工作量：C", "benefit_brand": "品牌价值：D", "benefit_looks": "界面美观：D",
           "nature_unknown": "尚未判断需求性质：C",
           "urgent_bug": "缺陷，{requests} 条中 {urgent} 条标为紧急：A（稳定第一）",
           "urgent": "{requests} 条中 {urgent} 条标为紧急：上调一档",
           "repeated": "需求热度：自 {since} 起 {months} 个月内被提出 {requests} 次",
           "newest_bug": "缺陷：最新的优先（最近一次 {newest}）",
           "wide": "需求热度：{accounts} 个客户提出",
           "benchmark": "需求热度：{accounts} 个客户提出，其中有影响力的标杆客户 {benchmark} 各计 3 个：合计 {weight}",
           "renewing": "需求热度：提出客户合同额的 {renewing_share} 将在 90 天内续约",
           "demand_up": "需求热度（{signals} 项）：上调一档，最多一档",
           "coverage": "{accounts} 个客户提出，其合同额的 {renewing_share} 即将续约"},
}


def requirement_reason(code: str, values: dict, lang: str) -> str:
    """One dimension's contribution to a suggested priority (metrics.requirements.Reason) as words in `lang`."""
    from wording.numbers import fmt

    shown = dict(values)
    if "renewing_share" in shown:
        shown["renewing_share"] = fmt(float(shown["renewing_share"]), "fraction", lang)
    for key in ("competitors", "benchmark"):
        if key in shown:
            shown[key] = ", ".join(map(str, shown[key]))
    return _PRIORITY["zh" if lang == "zh" else "en"][code].format(**shown)

