"""Reasons: why a figure is missing or a row is rejected, as the code gives them (one English sentence of a fixed
vocabulary, several joined by "; "), and their Chinese. metrics.ingest, the validate_*.sql files, metrics.efficiency,
metrics.cost and metrics.benchmarks give them; a test fails when the code can give one that has no Chinese here."""
from __future__ import annotations

import re

REASONS_ZH: dict[str, str] = {
    "not live yet": "尚未上线",
    "not a metric an objective can measure": "不是价值目标可衡量的指标",
    # an objective's figures checked by their metric (metrics.objectives.value_problem, direction_problem)
    "a share or change written as a whole number: write it as 15% or 0.15": "比例或变化写成了整数：请写成 15% 或 0.15",
    "a share is between 0 and 100%": "比例应在 0 到 100% 之间",
    "a change cannot fall below -100%": "变化不能低于 -100%",
    # what two contradicting rows share (validate_renewals.sql, validate_users.sql; the whole reason: _PATTERNS_ZH)
    "same account and renewal date, another outcome or value": "同一客户、同一续约日期，但结果或金额不同",
    "same user id, other details": "同一用户 ID，但其他信息不同",
    # a ';'-delimited file's numbers (macros_decimal_comma.sql)
    "not a number (this file is ;-delimited, so , is the decimal mark and 1.234 is ambiguous: write 1234 or 1,234)":
        "不是数字（此文件以分号分隔，逗号是小数点，1.234 有歧义：请写成 1234 或 1,234）",
    "on the wrong side of the baseline: higher is better for this metric, so the target must be above it":
        "目标在基线的错误一侧：该指标越高越好，目标必须高于基线",
    # renewals checked by meaning (validate_renewals.sql)
    "a churned customer has no new contract value (leave it empty or 0)": "已流失的客户没有新合同额（请留空或填 0）",
    "more than a year ahead: an outcome is recorded when the contract comes up": "超过一年之后：续约结果应在合同到期时记录",
    "equal to the baseline: nothing to progress towards": "与基线相同：没有可推进的目标",
    "fewer than 3 components measured": "可计量的构成项少于 3 项",
    "no measured component has a weight": "可计量的构成项权重均为 0",
    # a figure the metric functions cannot give
    "no go-live date": "没有上线日期",
    "zero baseline": "基线为零",
    "the period has no full month after the go-live month": "统计期内没有上线当月之后的完整月份",
    "no data in the 3 months before the go-live month": "上线当月之前 3 个月没有数据",
    "no data in the period's months after go-live": "统计期内上线之后的月份没有数据",
    "no hourly cost for the account": "该客户没有人力小时成本",
    "no annual contract value": "没有年合同金额",
    "no comparable accounts": "没有可比客户",
    "fewer than 5 other accounts not yet live inform the trend over the windows":
        "能说明这两个窗口期市场趋势的未上线客户少于 5 个（任何客户的变化都不会展示给其他客户）",
    "usage-based figures are not trend-adjusted": "按使用量计算的人效不做趋势调整",
    "no active users or no value model": "没有活跃用户或没有价值模型",
    "no seat count": "没有席位数",
    # a peer figure withheld (metrics.benchmarks.REASONS, with the cohort filled in)
    "the account has no industry": "该客户没有行业信息",
    "the account has no region": "该客户没有区域信息",
    "the account has no segment": "该客户没有客户分层信息",
    "the account has no seat band": "该客户没有席位规模信息",
    "fewer than 5 other accounts in the cohort have this figure": "同组中有此指标的其他客户少于 5 个",
    "one account would contribute more than 25% of the peers' summed figure":
        "单个客户将占同行合计值的 25% 以上",
    "the account has no currency, so no peer's value is comparable": "该客户没有币种，无法与同行的价值比较",
    "widened to all accounts": "已扩大到全部客户",
    "suppressed": "不予展示",
    # a row rejected at import
    "missing value": "缺少值",
    "must be >= 0": "必须 ≥ 0",
    "must be > 0": "必须 > 0",
    "must be a whole number >= 0": "必须是 ≥ 0 的整数",
    "must be a whole number from 1 to 1,000,000,000": "必须是 1 到 1,000,000,000 之间的整数",
    "not a number": "不是数字",
    "unknown account (import it in an accounts file first)": "未知客户（请先导入客户文件）",
    "a total or subtotal row, not data": "合计或小计行，不是数据",
    "invisible or look-alike characters in an identifier": "标识中含不可见字符或形似字符",
    "not a date (use YYYY-MM-DD)": "不是日期（请用 YYYY-MM-DD）",
    "not a date/time (use YYYY-MM-DD HH:MM:SS)": "不是日期时间（请用 YYYY-MM-DD HH:MM:SS）",
    "not a month (use YYYY-MM)": "不是月份（请用 YYYY-MM）",
    "in the future": "是未来的时间",
    "before 1990": "早于 1990 年",

    "outside 1990-01-01 to 2100-12-31": "不在 1990-01-01 至 2100-12-31 之间",
    "too large (at most 100,000,000)": "过大（最多 100,000,000）",
    "not an ISO currency code (e.g. USD, CNY)": "不是 ISO 货币代码（如 USD、CNY）",
    "must be use (per event) or unit (per work item)": "必须是 use（按使用次数）或 unit（按工作件数）",
    "must be cost, efficiency, revenue or risk": "必须是 cost、efficiency、revenue 或 risk",
    "must be request or bug": "必须是 request 或 bug（需求或缺陷）",
    "must be high, medium or low": "必须是 high、medium 或 low（高、中、低）",
    # a requirement or a typed request refused (metrics.requirements), after "requirement: <field>: "
    "must be one of new, accepted, scheduled, in_progress, shipped, not_supported":
        "必须是新建、已受理、已排期、开发中、已上线、暂不支持之一",
    "must be A, B, C or D": "必须是 A、B、C 或 D",
    "a letter set over the suggestion needs a reason": "人工设定优先级需要写明原因",
    "must be one of revenue, cost, learnability, workload, brand, looks":
        "必须是增加收入、降低成本、易学易用、减少工作量、品牌价值、界面美观之一",
    "needs the version and the date": "需要填写上线版本和日期",
    "needs the reason": "需要写明原因",
    "must be renewed, expanded, contracted or churned": "必须是 renewed、expanded、contracted 或 churned（续约、扩容、缩减、流失）",
    # a value-model edit refused (metrics.value_model.validate, after "value drivers row N, column: ")
    "missing": "缺少值",
    "must be a number >= 0": "必须是 ≥ 0 的数字",
    "must be use or unit": "必须是 use（按使用次数）或 unit（按工作件数）",
    "must be one of cost, efficiency, revenue, risk": "必须是 cost、efficiency、revenue、risk 之一",
    "a total or subtotal row, not a feature": "合计或小计行，不是功能",
}
# where a value-model problem is: "value drivers row 3, minutes_saved", "value drivers, feature",
# "hourly costs A001, hourly_cost" (metrics.value_model.validate)
_VALUE_MODEL_PLACE = re.compile(r"^(value drivers(?: row (?P<row>\d+))?|hourly costs (?P<account>\S+)|objectives row "
                                r"(?P<objective>\d+)), (?P<column>\w+): (?P<rest>.+)$")
_COLUMNS_ZH = {"feature": "功能", "minutes_saved": "每次节省分钟", "basis": "计算依据", "category": "类别",
               "description": "说明", "hourly_cost": "人力小时成本", "metric": "指标", "baseline": "基线",
               "target": "目标值", "target_date": "目标日期"}
# rejects whose reason carries the file's detail (metrics.ingest.readers): the reader's own sentences, then any
# other detail (DuckDB's parser message) after a translated prefix
_PATTERNS_ZH = [(re.compile(r"^no feature of the value model appears in these events for (.+): their hours saved will "
                            r"be 0 \(check the event names, the preset, or a feature list for opaque ids\)$"),
                 r"这些事件中没有价值模型的功能（客户 \1）：其节省工时将为 0（请检查事件名称、预设，或为不透明的功能 ID 导入功能清单）"),
                (re.compile(r"^no value model is imported yet: hours saved and value will be 0 until value drivers are "
                            r"imported$"), "尚未导入价值模型：导入价值驱动因素之前，节省工时和价值均为 0"),
                (re.compile(r"^malformed CSV row: (\d+) fields, the header has (\d+)$"),
                 r"CSV 行格式错误：有 \1 个字段，表头只有 \2 个"),
                (re.compile(r"^malformed CSV row: a quote opened on this line is never closed$"),
                 "CSV 行格式错误：本行开始的引号没有闭合"),
                (re.compile(r"^malformed JSON record: not valid JSON$"), "JSON 记录格式错误：不是有效的 JSON"),
                (re.compile(r"^malformed JSON record: not a JSON object$"), "JSON 记录格式错误：不是 JSON 对象"),
                (re.compile(r'^malformed JSON record: the key "(.*)" appears twice$'), r"JSON 记录格式错误：键“\1”出现了两次"),
                (re.compile(r"^malformed JSON record: nested deeper than (\d+) levels$"), r"JSON 记录格式错误：嵌套超过 \1 层"),
                (re.compile(r"^malformed CSV row: a quote inside a value that is not quoted as a whole$"),
                 "CSV 行格式错误：值的中间有引号，但整个值没有用引号括起来"),
                (re.compile(r"^malformed CSV row: not valid UTF-8 text$"), "CSV 行格式错误：不是有效的 UTF-8 文本"),
                (re.compile(r"^malformed CSV row: longer than the longest line a CSV file may have$"),
                 "CSV 行格式错误：超过 CSV 文件允许的最大行长"),
                (re.compile(r"^malformed CSV row: its fields cannot be told apart$"), "CSV 行格式错误：无法分出各个字段"),
                (re.compile(r"^malformed CSV row: a quoted value is followed by more text before the next delimiter$"),
                 "CSV 行格式错误：带引号的值后面、下一个分隔符之前还有其他文字"),
                (re.compile(r"^malformed CSV row: contains a NUL character$"), "CSV 行格式错误：含有 NUL 字符"),
                # rows of one key that disagree (validate_renewals.sql, validate_users.sql: vl_contradicts)
                (re.compile(r"^contradicts lines? ([\d, ]+) \(same account and renewal date, another outcome or value\)$"),
                 r"与第 \1 行矛盾（同一客户、同一续约日期，但结果或金额不同）"),
                (re.compile(r"^requirements: (\d+) created, (\d+) extended$"), r"需求项：新建 \1 个，补充 \2 个"),
                (re.compile(r"^contradicts lines? ([\d, ]+) \(same user id, other details\)$"),
                 r"与第 \1 行矛盾（同一用户 ID，但其他信息不同）"),
                # members of an archive or folder an import did not read (metrics.ingest.archives)
                (re.compile(r"^(.+): not read \(outside the archive's folder\)$"), r"\1：未读取（位于压缩包的目录之外）"),
                (re.compile(r"^(.+): not read \(system or hidden file\)$"), r"\1：未读取（系统文件或隐藏文件）"),
                (re.compile(r"^(.+): not read \(an archive or workbook inside the archive: unpack it and import it on its "
                            r"own\)$"), r"\1：未读取（压缩包中的压缩包或工作簿：请解压后单独导入）"),
                # metrics.efficiency.BOOTSTRAP_METHOD, the method an interval was computed with
                (re.compile(r"^bootstrap over months \((\d+) resamples, (\d+%) interval\)$"),
                 r"按月重抽样自助法（\1 次重抽样，\2 区间）"),
                (re.compile(r"^'(.*)' appears more than once$"), r"“\1”出现了不止一次"),
                (re.compile(r"^invisible or look-alike characters \(did you mean '(.*)'\?\)$"),
                 r"含不可见字符或形似字符（是不是“\1”？）")]
# a requirement's field (metrics.requirements.update) or a typed request's column (add_request) in a refusal
_REQUIREMENT_PLACE = re.compile(r"^(?P<kind>requirement|request): (?P<field>[\w ]+): (?P<rest>.+)$")
_REQUIREMENT_FIELDS_ZH = {"status": "状态", "priority": "优先级", "priority_reason": "设定原因", "benefit": "带来的价值",
                          "shipped": "已上线", "not supported": "暂不支持", "requests": "需求", "title": "标题",
                          "words": "客户原话", "account_id": "客户", "request_date": "提出日期", "type": "类型",
                          "urgency": "紧急程度"}
_PREFIXES_ZH = {"malformed CSV row: ": "CSV 行格式错误：", "malformed JSON record: ": "JSON 记录格式错误："}


def reason(value: str | None, lang: str) -> str:
    """A reason (or several joined by "; ") in `lang`; an archive member's name before ': ' is kept."""
    if not value:
        return ""
    if lang != "zh":
        return value
    return "；".join(_reason_zh(part) for part in value.split("; "))


# a peer figure's reason names its cohort first: "industry: fewer than 5 other accounts ..."
_SCOPES_ZH = {"industry": "同行业", "region": "同区域", "segment": "同客户分层", "seat_band": "同席位规模",
              "all": "全部客户"}


def _reason_zh(part: str) -> str:
    if part in REASONS_ZH:
        return REASONS_ZH[part]
    if place := _VALUE_MODEL_PLACE.match(part):
        where = (f"客户 {place['account']}" if place["account"] else
                 f"价值目标第 {place['objective']} 行" if place["objective"] else
                 f"价值驱动因素第 {place['row']} 行" if place["row"] else "价值驱动因素")
        column = _COLUMNS_ZH.get(place["column"], place["column"])
        return f"{where}，{column}：{_reason_zh(place['rest'])}"
    scope, _, rest = part.partition(": ")
    if scope in _SCOPES_ZH and rest:
        return f"{_SCOPES_ZH[scope]}：{_reason_zh(rest)}"
    if found := _REQUIREMENT_PLACE.match(part):
        where = "需求项" if found["kind"] == "requirement" else "需求记录"
        field = _REQUIREMENT_FIELDS_ZH.get(found["field"], found["field"])
        rest = found["rest"]
        unknown = re.match(r"^unknown request (.+)$", rest)
        return f"{where}，{field}：" + (f"未知的需求 {unknown[1]}" if unknown else _reason_zh(rest))
    for pattern, zh in _PATTERNS_ZH:
        if pattern.match(part):
            return pattern.sub(zh, part)
    for prefix, zh in _PREFIXES_ZH.items():
        if part.startswith(prefix):
            return zh + part[len(prefix):]
    return part
