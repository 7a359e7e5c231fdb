"""The data contract: kinds, columns and their aliases, header mapping, and the records an import returns."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from metrics.ingest.presets import FieldSet, Layout
from metrics.objectives import METRICS as OBJECTIVES_MEASURED
from metrics.store import DataError, run

KINDS: tuple[str, ...] = ("accounts", "value_drivers", "features", "users", "events", "outcomes",
                          "objectives", "renewals", "requests")  # load order
RENEWAL_OUTCOMES = ("renewed", "expanded", "contracted", "churned")
OBJECTIVE_METRICS = OBJECTIVES_MEASURED  # the metrics an objective may name (metrics.objectives measures them)
MAX_REJECTS_SHOWN = 1000


@dataclass(frozen=True)
class Column:
    """One column of the data contract: its name, whether it is required, its type and accepted header aliases."""

    name: str
    required: bool
    type: str
    description: str
    aliases: tuple[str, ...] = ()


_ACCOUNT_ID = Column("account_id", True, "text", "Customer account identifier",
                     ("客户ID", "客户编号", "客户代码", "账户ID", "account", "customer_id", "customer", "tenant_id"))
_FEATURE = Column("feature", True, "text", "Feature or module name",
                  ("功能", "功能模块", "模块", "功能名称", "feature_name", "module"))

CONTRACT: dict[str, tuple[Column, ...]] = {
    "events": (
        _ACCOUNT_ID,
        Column("user_id", True, "text", "User identifier (unique within the account)",
               ("用户ID", "用户编号", "用户", "员工ID", "user", "member_id")),
        Column("event_time", True, "date-time", "When the feature was used",
               ("事件时间", "时间", "发生时间", "使用时间", "timestamp", "time", "event_timestamp", "occurred_at")),
        _FEATURE,
        Column("duration_seconds", False, "number >= 0", "Time spent in the feature, seconds",
               ("时长(秒)", "时长", "耗时(秒)", "使用时长(秒)", "duration", "duration_s", "seconds")),
        Column("units", False, "number >= 0", "Work items completed with the event",
               ("处理量", "数量", "件数", "work_items", "items", "quantity")),
        Column("event_count", False, "whole number >= 1", "How many events the row stands for, in a pre-aggregated "
               "export (default 1)", ("事件数", "次数", "使用次数", "num_events", "numevents", "event_total")),
        Column("duration_minutes", False, "number >= 0", "Time spent in the feature, minutes (instead of seconds)",
               ("时长(分钟)", "使用时长(分钟)", "minutes", "num_minutes", "numminutes")),
        Column("event_id", False, "text", "The tool's own id of the event; events de-duplicate on it",
               ("事件ID", "事件编号", "insert_id", "$insert_id", "message_id", "messageid", "uuid")),
    ),
    "accounts": (
        _ACCOUNT_ID,
        Column("account_name", True, "text", "Customer name", ("客户名称", "公司名称", "企业名称", "name", "company",
                                                              "company name", "account name")),
        Column("industry", False, "text", "Industry", ("行业", "所属行业")),
        Column("region", False, "text", "Region", ("区域", "地区", "大区", "country/region", "country")),
        Column("segment", False, "text", "Segment (e.g. SMB, Enterprise)", ("客户分层", "分层", "客户类型", "tier")),
        Column("seats", False, "whole number >= 0", "Licensed seats", ("席位数", "席位", "账号数", "licenses", "seat_count")),
        Column("go_live_date", False, "date", "Go-live date", ("上线日期", "上线时间", "go_live", "golive", "launch_date")),
        Column("hourly_cost", False, "number >= 0", "Loaded cost per person-hour, in the account's currency",
               ("时薪", "人力成本", "小时成本", "人力成本(时)", "loaded_hourly_cost", "cost_per_hour")),
        Column("currency", False, "ISO code", "Currency of money figures (USD, CNY, ...)", ("币种", "货币")),
        Column("annual_contract_value", False, "number >= 0", "Annual contract value",
               ("年合同额", "合同金额", "年度合同金额", "acv", "arr")),
        Column("renewal_date", False, "date", "Next renewal date", ("续约日期", "到期日", "到期日期", "renewal")),
        Column("business_case_value", False, "number >= 0", "Value a year the business case projected once the "
               "product is in full use, in the account's currency", ("商业论证价值", "预期年价值", "预期价值",
                                                                    "projected_annual_value", "business_case")),
        Column("crm_id", False, "text", "The account's record id in the CRM (Salesforce's 15/18-character Account "
               "ID, HubSpot's Record ID); never taken for the product's account id", ("CRM ID", "CRM编号")),
    ),
    "outcomes": (
        _ACCOUNT_ID,
        Column("month", True, "month (YYYY-MM)", "Month of the business result", ("月份", "月", "期间", "period")),
        Column("output_units", True, "number >= 0", "Business output in the month (orders, tickets, ...)",
               ("产出量", "产出", "业务量", "output")),
        Column("headcount", True, "number > 0", "People producing that output", ("人数", "员工数", "人员数", "fte")),
        Column("hours_worked", False, "number >= 0", "Hours worked by those people", ("工时", "工作时长", "hours")),
    ),
    "objectives": (  # what the account was promised in the sale: one objective per account and metric
        _ACCOUNT_ID,
        Column("metric", True, "metric id", "What is measured: " + ", ".join(OBJECTIVE_METRICS),
               ("指标", "目标指标", "衡量指标", "kpi")),
        Column("baseline", False, "number", "Where it started (default: measured in the 3 months before go-live)",
               ("基线", "基准值", "起点")),
        Column("target", True, "number", "Where it should be by the target date (fractions as 0.25 or 25%)",
               ("目标", "目标值")),
        Column("target_date", True, "date", "When the target is due", ("目标日期", "截止日期", "due_date", "due")),
        Column("owner", False, "text", "Who owns it", ("负责人", "责任人")),
        Column("note", False, "text", "A note", ("备注", "说明", "comment")),
    ),
    "renewals": (  # what the account did when its contract came up: one row per account and renewal date
        _ACCOUNT_ID,
        Column("renewal_date", True, "date", "When the contract came up for renewal",
               ("续约日期", "续费日期", "renewal", "renewed_on")),
        Column("outcome", True, "renewed | expanded | contracted | churned",
               "What the customer decided (续约 / 扩容 / 缩减 / 流失 also accepted)",
               ("续约结果", "结果", "续约状态", "result", "status", "renewal_outcome")),
        Column("new_acv", False, "number >= 0", "Annual contract value from this renewal on",
               ("新合同额", "新年合同额", "续约金额", "new_arr", "new_contract_value")),
        Column("note", False, "text", "A note", ("备注", "说明", "comment")),
    ),
    "requests": (  # what customers asked for, in their own words (metrics.requirements)
        Column("request_id", False, "text", "The request's id in your own system (default: one made from the "
               "account, date and words)", ("需求编号", "工单号", "ticket_id", "id")),
        _ACCOUNT_ID,
        Column("request_date", True, "date", "When the customer asked", ("提出日期", "提出时间", "日期", "date",
                                                                     "created_at", "requested_on")),
        Column("words", True, "text", "The customer's own words, as they said them",
               ("客户原话", "原话", "需求描述", "描述", "request", "description", "text", "verbatim")),
        Column("requester", False, "text", "Who asked", ("提出人", "联系人", "requested_by", "contact")),
        Column("channel", False, "text", "Where it was heard (QBR, ticket, call, ...)", ("渠道", "来源", "source")),
        Column("area", False, "text", "The product area or feature it concerns", ("功能模块", "模块", "功能",
                                                                                 "feature", "module")),
        Column("type", False, "request | bug", "A request for something new, or a bug (default request)",
               ("类型", "需求类型", "kind", "issue_type")),
        Column("urgency", False, "high | medium | low", "How urgent the customer says it is (default medium)",
               ("紧急程度", "紧急度", "优先级", "priority")),
        Column("competitor", False, "text", "A competitor that already has it", ("竞品", "竞争对手", "competition")),
        Column("requirement", False, "text", "The requirement CS grouped it under: one of that title (any case or "
               "width) is extended, or created", ("需求名称", "需求标题", "requirement_title", "feature_request")),
    ),
    "features": (  # a feature list: the analytics tool's opaque ids -> the names the value model uses
        Column("feature_id", True, "text", "The analytics tool's feature id", ("功能ID", "功能编号", "id", "featureid")),
        Column("feature_name", True, "text", "The feature's name", ("功能名称", "name", "featurename", "display_name")),
    ),
    "users": (  # a user directory: which account a user belongs to (for events that carry only the user), and who
        # the person is (metrics.people: the account's people, never-active users among them)
        Column("user_id", True, "text", "User identifier, as the events carry it", ("用户ID", "用户编号")),
        _ACCOUNT_ID,
        Column("name", False, "text", "The person's name", ("姓名", "用户名", "user_name", "full_name")),
        Column("email", False, "text", "E-mail", ("邮箱", "电子邮箱", "mail", "e-mail")),
        Column("role", False, "text", "Role or title", ("角色", "职位", "岗位", "title", "job_title")),
        Column("department", False, "text", "Department or team", ("部门", "团队", "team", "dept")),
    ),
    "value_drivers": (
        _FEATURE,
        Column("minutes_saved", True, "number >= 0", "Minutes saved per use or per work item",
               ("节省分钟", "节省时长(分钟)", "节省时间(分钟)", "节省时间", "minutes")),
        Column("basis", False, "use | unit", "use = per event, unit = per work item (default use)",
               ("计量方式", "计算基础", "基础")),
        Column("category", False, "cost | efficiency | revenue | risk", "Kind of value",
               ("类别", "价值类别", "分类", "价值类型")),
        Column("description", False, "text", "What the feature saves", ("说明", "描述", "备注")),
        Column("name_en", False, "text", "The feature's name in English reports and pages",
               ("英文名称", "英文名", "english_name", "name_english", "display_name_en")),
        Column("name_zh", False, "text", "The feature's name in Chinese reports and pages",
               ("中文名称", "中文名", "chinese_name", "name_chinese", "display_name_zh")),
    ),
}

# natural keys (after coding) and the stored table of each kind
_TARGET = {"accounts": "account", "outcomes": "outcomes", "value_drivers": "value_drivers", "events": "events",
           "features": "feature_name_map", "users": "user_directory", "objectives": "objectives",
           "renewals": "renewals", "requests": "requests"}
_KEYS = {"accounts": ("account_key",), "outcomes": ("account_key", "month"), "value_drivers": ("feature_key",),
         "features": ("feature_id",), "users": ("user_id",), "objectives": ("account_key", "metric"),
         "renewals": ("account_key", "renewal_date"), "requests": ("request_id",)}
# the same keys before coding: a repeated key within one file keeps its last row
_BATCH_KEYS = {"accounts": ("account_id",), "outcomes": ("account_key", "month"), "value_drivers": ("feature",),
               "features": ("feature_id",), "users": ("user_id",), "objectives": ("account_key", "metric"),
               "renewals": ("account_key", "renewal_date"), "requests": ("request_id",)}
# events have no key here: an event_id, or the whole row as a multiset (merge._merge_events)


@dataclass(frozen=True)
class Preview:
    """What an import would read: format, encoding, detected kind, header mapping and a sample."""

    file_name: str
    file_format: str
    encoding: str | None
    kind: str | None
    headers: list[str]
    mapping: dict[str, str]
    unmapped: list[str]
    missing: list[str]
    sample: pd.DataFrame
    preset: str | None = None  # the preset used, or the one suggested by the export's fields
    layout: str | None = None  # which of the preset's documented layouts the export fits
    paths: list[str] = field(default_factory=list)  # fields inside nested columns, offered to map
    closest: str | None = None  # the chosen preset fits no layout: why (the layout nearest and what it lacks)


@dataclass(frozen=True)
class ImportResult:
    """The outcome of importing one file."""

    file_name: str
    kind: str
    import_id: int | None
    rows_read: int
    rows_loaded: int
    rows_unchanged: int
    rows_rejected: int
    skipped: bool
    rejects: pd.DataFrame = field(repr=False, compare=False)
    rows_excluded: int = 0  # lines excluded by a rule (blank lines); with the counts above, every line of the file
    rows_filtered: int = 0  # events left out by the source's event filter (a preset's tracking noise, ...)
    preset: str | None = None  # the analytics tool's preset applied
    warnings: tuple[str, ...] = ()  # what loaded but will not count as the user expects (no value-model feature)
    layout: str | None = None  # the preset's layout the export fits
    mapping: dict[str, str] = field(default_factory=dict, compare=False)  # the export's field -> contract column
    file_format: str | None = None  # csv, json, parquet, avro, xlsx
    encoding: str | None = None  # the text encoding read (utf-8, gb18030, cp1252, utf-16 with BOM, ...)


# ---------------------------------------------------------------- headers

def _norm(header: str) -> str:
    """Header comparison form: NFKC (full-width -> half-width), lower case, no spaces, _ or -."""
    return re.sub(r"[\s_\-.]+", "", unicodedata.normalize("NFKC", str(header)).strip().lower())


_ALIASES: dict[str, dict[str, str]] = {
    kind: {_norm(alias): col.name for col in cols for alias in (col.name, *col.aliases)}
    for kind, cols in CONTRACT.items()
}


def _auto_mapping(headers: list[str], kind: str) -> dict[str, str]:
    aliases = _ALIASES[kind]
    return {h: aliases[_norm(h)] for h in headers if _norm(h) in aliases}


def detect_kind(headers: list[str]) -> str | None:
    """The kind whose required columns the headers all cover, preferring the one matching most columns; None when
    no kind is covered (an events table with one id column must never pass for an accounts file: ask instead)."""
    best: tuple[int, str] | None = None
    for kind in ("events", "outcomes", "objectives", "renewals", "requests", "value_drivers", "accounts", "features",
                 "users"):
        mapped = set(_auto_mapping(headers, kind).values())
        required = {c.name for c in CONTRACT[kind] if c.required}
        if required <= mapped and (best is None or len(mapped) > best[0]):
            best = (len(mapped), kind)
    return best[1] if best else None


def missing_by_kind(headers: list[str]) -> dict[str, list[str]]:
    """For each kind some of whose required columns the headers match: the required columns still missing."""
    out = {}
    for kind in KINDS:
        mapped = set(_auto_mapping(headers, kind).values())
        required = [c.name for c in CONTRACT[kind] if c.required]
        if mapped & set(required):
            out[kind] = [c for c in required if c not in mapped]
    return out


def default_source(file_name: str) -> str:
    """A stable name for where a file comes from: its stem without dates, numbers and separators."""
    stem = Path(file_name).stem.lower()
    return re.sub(r"[\d\s_\-.()]+", " ", stem).strip() or stem


def saved_mapping(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, str]:
    """Header -> column mapping remembered for a source."""
    rows = run(con, "ingest_run.saved_mapping", {"source": source}).fetchall()
    return dict(rows)


def _resolve_mapping(con, fields: FieldSet, kind: str, mapping: dict[str, str] | None,
                     source: str | None, layout: Layout | None = None, strict: bool = True) -> dict[str, str]:
    """The export's field -> contract column: the headers' aliases (a column of Salesforce account record ids is the
    CRM id, whatever its header), then the layout's fields (replacing any alias
    for the same column: the tool's documentation knows which of three id-like headers is the event id), then the
    source's remembered mapping and the one given (a column "" unmaps a field). Raises DataError when two fields
    still map to one column (unless not `strict`: a preview shows them)."""
    allowed = {c.name for c in CONTRACT[kind]}
    resolved = _auto_mapping(list(fields.headers), kind)
    for header in fields.crm_ids:  # "Account ID" holding Salesforce record ids is the CRM's id, not the product's
        if resolved.get(header) == "account_id" and "crm_id" in allowed:
            resolved[header] = "crm_id"
    for name, column in (layout.mapping(fields) if layout is not None else {}).items():
        for other in [h for h, c in resolved.items() if c == column]:
            resolved.pop(other)
        resolved[name] = column
    remembered = saved_mapping(con, source) if source else {}
    for given in (remembered, mapping or {}):
        for name, column in given.items():
            found = fields.find(name)
            if found is None:
                continue
            if column in allowed:
                for other in [h for h, c in resolved.items() if c == column and h != found]:
                    resolved.pop(other)  # a person's choice of the field for a column replaces the others
                resolved[found] = column
            elif column in ("", None):
                resolved.pop(found, None)
    for column in (mapping or {}).values():
        if column and column not in allowed:
            raise DataError(f"'{column}' is not a column of {kind} (expected one of: {', '.join(sorted(allowed))})")
    seen: dict[str, str] = {}
    for header, column in resolved.items():
        if column in seen and strict:
            raise DataError(f"headers '{seen[column]}' and '{header}' both map to {column}; map only one of them")
        seen[column] = header
    return resolved


def _empty_rejects() -> pd.DataFrame:
    return pd.DataFrame({"line": pd.Series(dtype="int64"), "column_name": pd.Series(dtype="object"),
                         "value": pd.Series(dtype="object"), "reason": pd.Series(dtype="object")})
