"""Deterministic demo dataset for ValueLens: 40 accounts, 24 months (2024-11 to 2026-10).

What is planted, so the app has something true to find:
- go-live dates spread from 2025-02 to 2026-06; 4 accounts never went live (A037-A040);
- per account a `depth` trait (0.2-1.0) drives how many features users adopt and how fast after go-live;
- output per person in outcomes = base x market trend (+0.4 % a month, everyone) x (1 + uplift) x noise (±3 %),
  where uplift ramps in over 3 months after go-live to 0.05 + 0.30 x depth;
- about half of the live accounts ran a small pilot in the 2-3 months before go-live;
- contract values are priced so that most live accounts return more than their contract in the default period
  (2026-08 to 2026-10), a few stay below break-even, and the four that never went live return almost nothing;
- one account, DECLINING (A019), loses 4 in 10 of its users from 2026-08 on: its QBR tells the declining story;
- every live account's business case (business_case_value in accounts.csv) projects twice its contract value a
  year at full use: about a third of them realize it in the default period;
- objectives (objectives.csv, Chinese headers) for 4 in 5 of the live accounts, as a sale would set them: per-person
  efficiency +25 % within a year of go-live, key-feature adoption 75 % within 9 months, and for every other one
  seat use 60 % within 6 months (no random draw: the other files stay as they were);
- renewal outcomes (renewals.csv, Chinese headers) for the live accounts whose previous renewal (the next one in
  accounts.csv less a year) came at least 6 months after go-live, planted by depth rank (for the health back-test,
  metrics.health.backtest; no random draw): the 2 shallowest churned after losing half their users over the 6
  months before the renewal (their events stop at the churn, their renewal date is the churn date); the 3rd
  contracted after losing 3 in 10 users the same way; two are surprises with no sign in usage: the 4th shallowest
  contracted and the middle one of the ranking churned; depth 0.85 or more expanded; the others renewed. DECLINING
  renewed (its decline comes after).
- about 215 customer requests (requests.csv, Chinese headers, each account in its own language) on 23 themes, and
  requirements.json: 21 requirements a CS team made of them, titled in both languages, each with its history of
  status changes since it was created (three shipped with the features that deliver them, some open ones unchanged
  for months, one not supported for now with its reason in both languages); two themes' requests stay ungrouped
  (a random stream of their own: the other files stay as they were).
Run `python data/demo/generate.py`; it rewrites the files next to itself, identically every time.
"""
from __future__ import annotations

import re
import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook

OUT = Path(__file__).resolve().parent
SEED = 20261122
ACV_SCALE = 0.35  # list price per seat a year x this: contract values a real portfolio of this usage would carry
BUSINESS_CASE = 2.0  # the sale's business case: twice the contract value a year, at full use
DECLINING, DECLINE_FROM = "A019", pd.Timestamp("2026-08-01")
MONTHS = pd.period_range("2024-11", "2026-10", freq="M")
INDUSTRIES = ["Logistics", "Manufacturing", "Retail", "Financial services", "Healthcare", "Professional services"]
REGIONS_CN = ["East China", "North China", "South China"]
REGIONS_INTL = ["North America", "Europe", "APAC"]
CN_CITIES = ["华东", "深圳", "北京", "上海", "广州", "杭州", "苏州", "天津", "成都", "南京", "青岛", "厦门"]
EN_PREFIXES = ["Northwind", "Acme", "Bluebird", "Harbor", "Mercy", "Summit", "Pioneer", "Cedar", "Lumen", "Atlas",
               "Keystone", "Orbit", "Redwood", "Vertex", "Granite", "Willow", "Beacon", "Evergreen", "Falcon", "Maple",
               "Sterling", "Aurora", "Cobalt", "Nimbus", "Trident", "Juniper", "Quartz", "Horizon"]
NAME_BY_INDUSTRY = {  # (English suffix, Chinese suffix)
    "Logistics": ("Freight", "物流集团"), "Manufacturing": ("Manufacturing", "智造科技有限公司"),
    "Retail": ("Stores", "零售连锁"), "Financial services": ("Capital", "金融服务有限公司"),
    "Healthcare": ("Health", "医疗集团"), "Professional services": ("Advisory", "咨询有限公司"),
}
# (feature, minutes saved, basis, category, description, how advanced: 0 = core, 1 = needs a deep adopter)
DRIVERS = [
    ("Smart dispatch", 6, "use", "efficiency", "Routes orders automatically / 自动派单", 0.1),
    ("Auto reconciliation", 2.5, "unit", "cost", "Matches payments to invoices / 自动对账", 0.4),
    ("Bulk approval", 4, "use", "efficiency", "Approves many requests at once / 批量审批", 0.2),
    ("Report builder", 12, "use", "efficiency", "Replaces manual spreadsheets / 报表自动生成", 0.3),
    ("Workflow automation", 1.5, "unit", "cost", "Runs repetitive steps / 流程自动化", 0.9),
    ("Invoice OCR", 3, "unit", "cost", "Reads invoices without typing / 发票识别", 0.5),
    ("Mobile check-in", 2, "use", "efficiency", "Field staff check in on the phone / 移动签到", 0.2),
    ("Template library", 5, "use", "efficiency", "Reuses proven documents / 模板库", 0.3),
    ("AI assistant", 8, "use", "efficiency", "Drafts answers and summaries / 智能助手", 1.0),
    ("Scheduling", 7, "use", "efficiency", "Plans shifts and slots / 智能排班", 0.4),
    ("E-signature", 10, "use", "risk", "Signs contracts online / 电子签章", 0.6),
    ("Inventory sync", 0.8, "unit", "cost", "Keeps stock counts in sync / 库存同步", 0.7),
    ("Customer portal", 4, "use", "revenue", "Customers serve themselves / 客户门户", 0.6),
    ("Alerts", 1, "use", "risk", "Flags exceptions early / 异常预警", 0.1),
    ("Data import", 15, "use", "efficiency", "Loads data without re-keying / 数据导入", 0.5),
]
EXTRA_FEATURES = [("Dashboard", 0.0), ("Settings", 0.0)]


def make_accounts(rng: np.random.Generator) -> pd.DataFrame:
    """40 accounts with skewed sizes, spread go-live dates and four that never went live."""
    n = 40
    chinese = np.zeros(n, bool)
    chinese[rng.choice(n - 4, size=len(CN_CITIES), replace=False)] = True
    industry = rng.choice(INDUSTRIES, size=n, p=[0.25, 0.22, 0.18, 0.13, 0.12, 0.10])
    seats = np.clip(rng.lognormal(4.6, 0.9, n), 15, 800).round().astype(int)
    live_offsets = rng.integers(0, 17, n)  # months after 2025-02
    go_live = [(pd.Period("2025-02", "M") + int(k)).to_timestamp() + pd.Timedelta(days=int(d))
               for k, d in zip(live_offsets, rng.integers(0, 27, n))]
    cn_cities, en_prefixes = iter(CN_CITIES), iter(EN_PREFIXES)
    rows = []
    for i in range(n):
        cn = bool(chinese[i])
        currency = "CNY" if cn else ("EUR" if i % 5 == 0 else "USD")
        hourly = rng.uniform(80, 200) if cn else rng.uniform(35, 90)
        segment = "SMB" if seats[i] < 80 else ("Mid-market" if seats[i] < 300 else "Enterprise")
        rows.append({
            "account_id": f"A{i + 1:03d}",
            "account_name": (next(cn_cities) + NAME_BY_INDUSTRY[industry[i]][1] if cn
                             else f"{next(en_prefixes)} {NAME_BY_INDUSTRY[industry[i]][0]}"),
            "industry": industry[i],
            "region": rng.choice(REGIONS_CN) if cn else rng.choice(REGIONS_INTL),
            "segment": segment,
            "seats": int(seats[i]),
            "go_live_date": "" if i >= n - 4 else go_live[i].strftime("%Y-%m-%d"),
            "hourly_cost": round(float(hourly), 2),
            "currency": currency,
            "annual_contract_value": int(round(seats[i] * rng.uniform(300, 900) * (7 if cn else 1) * ACV_SCALE,
                                               -2)),
            "renewal_date": (pd.Timestamp("2026-12-01") + pd.Timedelta(days=int(rng.integers(0, 330)))).strftime(
                "%Y-%m-%d"),
        })
    return pd.DataFrame(rows)


def make_events(rng: np.random.Generator, accounts: pd.DataFrame, depth: np.ndarray) -> pd.DataFrame:
    """Usage events: a ramp after go-live, a pilot for some, feature adoption driven by depth."""
    features = [d[0] for d in DRIVERS] + [f for f, _ in EXTRA_FEATURES]
    advanced = np.array([d[5] for d in DRIVERS] + [a for _, a in EXTRA_FEATURES])
    unit_based = np.array([d[2] == "unit" for d in DRIVERS] + [False] * len(EXTRA_FEATURES))
    frames = []
    for i, acc in accounts.iterrows():
        users = int(min(120, max(3, acc.seats * rng.uniform(0.35, 0.95))))
        live = pd.Timestamp(acc.go_live_date) if acc.go_live_date else None
        pilot = live is not None and rng.random() < 0.5
        for m, period in enumerate(MONTHS):
            start = period.to_timestamp()
            if live is None:
                active = int(rng.integers(0, 3)) if m >= 18 else 0
                months_live = 0
            elif start < live.to_period("M").to_timestamp():
                gap = (live.to_period("M") - period).n
                active = int(rng.integers(2, 6)) if pilot and gap <= 3 else 0
                months_live = 0
            else:
                months_live = (period - live.to_period("M")).n + 1
                active = int(users * min(1.0, 0.35 + 0.22 * months_live) * rng.uniform(0.85, 1.0))
            if active == 0:
                continue
            ramp = min(1.0, 0.6 + 0.1 * months_live)
            adopt_p = np.clip(depth[i] * ramp * 1.4 - advanced * 0.9 + 0.35, 0.02, 0.95)
            days = pd.bdate_range(start, period.end_time.normalize())
            user_ids = rng.choice(users, size=active, replace=False)
            for u in user_ids:
                uses = rng.random(len(features)) < adopt_p
                if not uses.any():
                    uses[0] = True
                n_days = int(rng.integers(2, max(3, len(days) // 2)))
                chosen_days = rng.choice(days, size=n_days, replace=False)
                n_events = int(n_days * rng.uniform(1, 2.5))
                feats = rng.choice(np.flatnonzero(uses), size=n_events)
                times = (pd.to_datetime(rng.choice(chosen_days, size=n_events))
                         + pd.to_timedelta(rng.integers(9 * 3600, 18 * 3600, n_events), unit="s"))
                frames.append(pd.DataFrame({
                    "account_id": acc.account_id,
                    "user_id": f"{acc.account_id}-U{int(u) + 1:04d}",
                    "event_time": times,
                    "feature": np.array(features)[feats],
                    "duration_seconds": rng.integers(20, 900, n_events).astype(float),
                    "units": np.where(unit_based[feats], rng.integers(1, 26, n_events), 0).astype(float),
                }))
    events = pd.concat(frames, ignore_index=True)
    events = events.drop_duplicates(["account_id", "user_id", "event_time", "feature"])
    # the declining account: users whose number ends in 6-9 stop from DECLINE_FROM on (no random draw, so every
    # other account's events stay as they were)
    number = events["user_id"].str[-1].astype(int)
    events = events[~((events["account_id"] == DECLINING) & (events["event_time"] >= DECLINE_FROM) & (number >= 6))]
    return events.sort_values(["account_id", "event_time", "user_id", "feature"]).reset_index(drop=True)


def make_outcomes(rng: np.random.Generator, accounts: pd.DataFrame, depth: np.ndarray) -> list[list[object]]:
    """Monthly output and headcount for 34 accounts, with the planted uplift after go-live."""
    keep = np.ones(len(accounts), bool)
    keep[rng.choice(np.arange(len(accounts) - 4), size=6, replace=False)] = False
    rows: list[list[object]] = []
    for i, acc in accounts[keep].iterrows():
        headcount = acc.seats * rng.uniform(0.8, 1.3)
        base = rng.uniform(40, 400)
        live = pd.Timestamp(acc.go_live_date).to_period("M") if acc.go_live_date else None
        for t, period in enumerate(MONTHS):
            headcount *= rng.uniform(0.99, 1.012)
            months_live = (period - live).n if live is not None and period > live else 0
            uplift = (0.05 + 0.30 * depth[i]) * min(1.0, months_live / 3)
            people = max(1, int(round(headcount)))
            output = people * base * 1.004 ** t * (1 + uplift) * rng.uniform(0.97, 1.03)
            rows.append([acc.account_id, str(period), int(round(output)), people,
                         int(round(people * 165 * rng.uniform(0.95, 1.05)))])
    return rows


def make_objectives(accounts: pd.DataFrame) -> pd.DataFrame:
    """What was promised in the sale, for 4 in 5 of the live accounts (the 5th of every five has none)."""
    rows = []
    for i, acc in enumerate(accounts.itertuples(index=False)):
        if not acc.go_live_date or i % 5 == 4:
            continue
        live = pd.Timestamp(acc.go_live_date)
        due = {k: (live + pd.DateOffset(months=m) + pd.offsets.MonthEnd(0)).strftime("%Y-%m-%d")
               for k, m in (("efficiency", 12), ("adoption", 9), ("seats", 6))}
        owner = "客户成功经理" if acc.currency == "CNY" else "CSM"
        rows.append([acc.account_id, "efficiency_delta", "", "25%", due["efficiency"], owner, "business case"])
        rows.append([acc.account_id, "key_feature_adoption", "", "75%", due["adoption"], owner, ""])
        if i % 2 == 0:
            rows.append([acc.account_id, "seat_utilization", "", "60%", due["seats"], owner, ""])
    return pd.DataFrame(rows, columns=["客户ID", "指标", "基线", "目标", "目标日期", "负责人", "备注"])


def plant_renewals(accounts: pd.DataFrame, depth: np.ndarray) -> tuple[pd.DataFrame, dict[str, tuple]]:
    """The renewals file and, per account whose usage fell before it, (decline from, last digits of the users who
    stop, churn date or None); see the module's docstring."""
    frame = accounts.assign(depth=depth, live=pd.to_datetime(accounts["go_live_date"]),
                            prev=pd.to_datetime(accounts["renewal_date"]) - pd.DateOffset(years=1))
    eligible = frame[frame["live"].notna() & (frame["prev"] >= frame["live"] + pd.DateOffset(months=6))]
    ranked = list(eligible[eligible["account_id"] != DECLINING].sort_values("depth")["account_id"])
    outcome = {a: "expanded" if d >= 0.85 else "renewed" for a, d in zip(eligible["account_id"], eligible["depth"])}
    outcome |= {ranked[0]: "churned", ranked[1]: "churned", ranked[2]: "contracted", ranked[3]: "contracted",
                ranked[len(ranked) // 2]: "churned"}
    words = {"renewed": "续约", "expanded": "扩容", "contracted": "缩减", "churned": "流失"}
    rows, planted = [], {}
    for acc in eligible.sort_values("account_id").itertuples(index=False):
        result = outcome[acc.account_id]
        factor = {"renewed": 1.0, "expanded": 1.2, "contracted": 0.7, "churned": 0.0}[result]
        rows.append([acc.account_id, acc.prev.strftime("%Y-%m-%d"),
                     words[result] if acc.currency == "CNY" else result,
                     int(round(acc.annual_contract_value * factor, -2)), ""])
        if acc.account_id in ranked[:3]:
            planted[acc.account_id] = (acc.prev - pd.DateOffset(months=6), 5 if result == "churned" else 7,
                                       acc.prev if result == "churned" else None)
        elif result == "churned":
            planted[acc.account_id] = (acc.prev, 10, acc.prev)
    return pd.DataFrame(rows, columns=["客户ID", "续约日期", "续约结果", "新合同额", "备注"]), planted


def apply_renewals(events: pd.DataFrame, planted: dict[str, tuple]) -> pd.DataFrame:
    """Events without the users who stopped before a planted renewal, and without any after a churn."""
    number = events["user_id"].str[-1].astype(int)
    drop = pd.Series(False, index=events.index)
    for account, (decline_from, digit, churn) in planted.items():
        mine = events["account_id"] == account
        drop |= mine & (events["event_time"] >= decline_from) & (number >= digit)
        if churn is not None:
            drop |= mine & (events["event_time"] >= churn)
    return events[~drop].reset_index(drop=True)


# what customers ask for (requests.csv; requirements.json groups some of them as a CS team would have):
# (key, English title, Chinese title, area, type, competitor, English phrasings, Chinese phrasings)
THEMES = [
    ("excel", "Export reports to Excel", "报表导出 Excel", "Report builder", "request", None,
     ["Please let us export reports to Excel", "We need the report builder to export xlsx",
      "Finance wants the monthly report as an Excel file", "Export to Excel would save us retyping"],
     ["希望报表能导出到 Excel", "报表生成器能不能导出 xlsx", "财务需要 Excel 格式的月报",
      "导出 Excel 可以省去重复录入"]),
    ("mobile_approval", "Bulk approval on mobile", "移动端批量审批", "Bulk approval", "request", None,
     ["Managers want to bulk approve from their phones", "Bulk approval on the mobile app please",
      "Approving one by one on mobile takes too long"],
     ["经理希望在手机上批量审批", "移动端能否支持批量审批", "手机上逐条审批太慢了"]),
    ("ocr_handwriting", "OCR for handwritten invoices", "手写发票识别", "Invoice OCR", "request", "DocuRead",
     ["Invoice OCR cannot read handwritten invoices, DocuRead can", "Support handwritten receipts in OCR"],
     ["发票识别无法识别手写发票，竞品 DocuRead 可以", "希望支持手写票据识别"]),
    ("sso", "Single sign-on with the company directory", "企业微信、飞书单点登录", "Settings", "request", "FlowDesk",
     ["We need SSO with our Azure AD", "Single sign-on is a must for our IT security review"],
     ["需要和企业微信打通单点登录", "希望支持飞书单点登录，FlowDesk 已经支持"]),
    ("android_checkin", "Mobile check-in fails on Android", "安卓手机移动签到失败", "Mobile check-in", "bug", None,
     ["Mobile check-in fails on Android 14", "Check-in button does nothing on some Android phones"],
     ["安卓 14 上移动签到失败", "部分安卓手机点签到没有反应"]),
    ("report_slow", "Report builder slow on large data", "大数据量时报表生成很慢", "Report builder", "bug", None,
     ["The report builder times out on a year of data", "Reports with many rows are very slow"],
     ["一年的数据生成报表会超时", "数据量大时报表非常慢"]),
    ("dark_mode", "Dark mode", "深色模式", "Settings", "request", None,
     ["Could you add a dark mode?", "A dark theme would be nice"], ["能否增加深色模式", "希望有暗色主题"]),
    ("erp_sync", "Inventory sync with our ERP", "库存与 ERP 同步", "Inventory sync", "request", None,
     ["Inventory sync should connect to SAP", "We want stock counts synced with our ERP every hour"],
     ["库存同步需要对接用友 ERP", "希望库存每小时与 ERP 同步一次"]),
    ("calendar", "Scheduling synced with calendars", "排班与日历同步", "Scheduling", "request", None,
     ["Shifts should appear in Outlook calendars", "Sync scheduling with Google Calendar"],
     ["排班结果希望同步到日历", "希望排班能同步到钉钉日历"]),
    ("ai_chinese", "AI assistant answers in Chinese", "智能助手支持中文回答", "AI assistant", "request", None,
     ["The AI assistant should answer our Chinese staff in Chinese"],
     ["智能助手希望能用中文回答", "智能助手的中文回答不准确"]),
    ("esign_batch", "Batch e-signature for contracts", "合同批量电子签章", "E-signature", "request", None,
     ["We sign fifty contracts a week, one at a time", "Let us e-sign a batch of contracts at once"],
     ["每周五十份合同只能一份份签", "希望能批量电子签章"]),
    ("portal_invoices", "Invoices in the customer portal", "客户门户查看发票", "Customer portal", "request", None,
     ["Our customers want to download invoices from the portal", "Show invoices in the customer portal"],
     ["客户希望在门户里下载发票", "客户门户能否显示发票"]),
    ("import_rows", "Import errors point to the row", "数据导入报错定位到行", "Data import", "request", None,
     ["Import errors should say which row failed", "We cannot find the bad line when an import fails"],
     ["导入失败时希望提示是哪一行", "导入报错找不到具体是哪条数据"]),
    ("alerts_im", "Alerts to WeCom, Feishu and Teams", "预警推送到企业微信、飞书", "Alerts", "request", "FlowDesk",
     ["Send alerts to Microsoft Teams", "Alerts by email come too late, push them to Teams"],
     ["预警希望推送到企业微信", "飞书里收不到预警，FlowDesk 可以推送"]),
    ("dispatch_skills", "Dispatch by skill and certificate", "按技能和证书派单", "Smart dispatch", "request", None,
     ["Dispatch should respect technicians' certificates", "Route orders by skill, not only by distance"],
     ["派单时希望考虑师傅的证书", "希望按技能派单而不只是按距离"]),
    ("partial_payments", "Reconcile partial payments", "部分付款自动对账", "Auto reconciliation", "request", None,
     ["Partial payments are left for manual matching", "Reconciliation cannot split one payment over invoices"],
     ["部分付款还要手工对账", "一笔付款对应多张发票时无法自动对账"]),
    ("template_share", "Share templates across teams", "模板跨团队共享", "Template library", "request", None,
     ["Teams should share their templates", "Let regional offices reuse head office templates"],
     ["希望模板能在团队之间共享", "分公司想直接用总部的模板"]),
    ("schedule_freeze", "Scheduling freezes with 500 staff", "500 人排班页面卡死", "Scheduling", "bug", None,
     ["The scheduling page freezes when we plan 500 people", "Scheduling hangs for large stores"],
     ["排 500 人的班时页面卡死", "大门店排班页面无响应"]),
    ("ocr_blurry", "OCR misreads blurry photos", "模糊照片发票识别错误", "Invoice OCR", "bug", None,
     ["OCR reads wrong amounts from blurry photos"], ["拍得模糊的发票金额识别错误"]),
    ("dashboard_fonts", "Larger fonts on the dashboard", "仪表盘字体调大", "Dashboard", "request", None,
     ["The dashboard fonts are too small on the wall screen"], ["大屏上仪表盘的字太小"]),
    ("offline_checkin", "Mobile check-in offline", "移动签到支持离线", "Mobile check-in", "request", None,
     ["Check-in should work without signal in basements", "Field staff lose check-ins when offline"],
     ["地下室没信号也希望能签到", "离线时签到记录会丢失"]),
    ("report_logo", "Our logo on exported reports", "导出报表加上公司标志", "Report builder", "request", None,
     ["Put our logo on the exported reports"], ["导出的报表希望带上公司的标志"]),
    ("approval_audit", "Audit trail for approvals", "审批操作留痕", "Bulk approval", "request", None,
     ["Bulk approvals need an audit trail for our auditors", "We need an audit trail for bulk approvals"],
     ["审计要求批量审批留有操作日志", "批量审批需要操作日志"]),
]
REQUESTS_PER_THEME = (26, 18, 10, 14, 16, 12, 8, 14, 12, 20,   # the first ten themes: 150 requests
                      9, 6, 7, 8, 5, 6, 2, 5, 3, 1, 7, 2, 6)    # thirteen more: 67
URGENCY = {"schedule_freeze": [0.6, 0.3, 0.1]}  # shares of high, medium and low urgency: 0.15, 0.6, 0.25 if not named


def make_requests(accounts: pd.DataFrame) -> pd.DataFrame:
    """About 150 requests in the customers' own words (Chinese for the Chinese accounts), from their own random
    stream so the other files stay as they were."""
    rng = np.random.default_rng(SEED + 1)
    live = accounts[accounts["go_live_date"] != ""].reset_index(drop=True)
    rows = []
    for (key, _, _, area, kind, competitor, en, zh), n in zip(THEMES, REQUESTS_PER_THEME):
        # a theme is asked mostly by a few accounts again and again, and by some others once
        regulars = rng.choice(len(live), size=min(4, len(live)), replace=False)
        for _ in range(n):
            acc = live.iloc[int(regulars[rng.integers(len(regulars))]) if rng.random() < 0.6
                            else int(rng.integers(len(live)))]
            chinese = acc.currency == "CNY"
            words = (zh if chinese else en)[int(rng.integers(len(zh if chinese else en)))]
            day = pd.Timestamp("2025-06-01") + pd.Timedelta(days=int(rng.integers(0, 520)))
            urgency = ("high", "medium", "low")[int(rng.choice(3, p=URGENCY.get(key, [0.15, 0.6, 0.25])))]
            rows.append([acc.account_id, day.strftime("%Y-%m-%d"), words,
                         "客户成功经理" if chinese else "CSM",
                         (("QBR", "工单", "电话") if chinese else ("QBR", "ticket", "call"))[int(rng.integers(3))],
                         area,
                         ("缺陷" if chinese else "bug") if kind == "bug" else ("需求" if chinese else "request"),
                         {"high": "高", "medium": "中", "low": "低"}[urgency] if chinese else urgency,
                         competitor if competitor and rng.random() < 0.5 else "", key])
    rows.sort(key=lambda r: (r[1], r[0], r[2]))
    frame = pd.DataFrame(rows, columns=["客户ID", "提出日期", "客户原话", "提出人", "渠道", "功能模块", "类型",
                                        "紧急程度",
                                        "竞品", "theme"])
    frame.insert(0, "需求编号", [f"DQ-{i + 1:04d}" for i in range(len(frame))])
    return frame


# the requirements a CS team made of them: (theme, status, target version, shipped version, shipped on, note,
# value-model features that deliver it, judged: capability gap, core selling point, benefit; the history: each
# earlier status with the day it was set, the last day the one the requirement has now). A requirement is created
# three days after its theme's first request; ai_chinese and approval_audit stay ungrouped for a person to group.
REQUIREMENTS = [
    ("excel", "shipped", None, "3.2", "2026-06-15", "Report builder exports xlsx with formulas", ["Report builder"],
     False, False, "workload",
     [("2025-08-20", "accepted"), ("2026-01-12", "scheduled"), ("2026-03-02", "in_progress"), ("2026-06-15", "")]),
    ("android_checkin", "shipped", None, "3.1.2", "2026-04-10", "Fixed the Android 14 location permission",
     ["Mobile check-in"], False, False, None,
     [("2025-11-03", "accepted"), ("2026-02-16", "in_progress"), ("2026-04-10", "")]),
    ("mobile_approval", "scheduled", "3.4", None, None, None, [], False, False, "workload",
     [("2026-03-09", "accepted"), ("2026-11-02", "")]),
    ("ocr_handwriting", "in_progress", "3.3", None, None, None, [], True, False, "cost",
     [("2025-12-01", "accepted"), ("2026-05-18", "scheduled"), ("2026-10-12", "")]),
    ("sso", "accepted", None, None, None, None, [], True, True, None, [("2026-05-11", "")]),
    ("report_slow", "new", None, None, None, None, [], False, False, None, []),
    ("dark_mode", "not_supported", None, None, None,
     "今年不在路线图中，2027 年重新评估 / Not on the roadmap this year; reviewed again in 2027", [], False, False,
     "looks", [("2026-02-20", "")]),
    ("erp_sync", "accepted", None, None, None, None, [], False, False, "workload", [("2026-08-03", "")]),
    ("calendar", "scheduled", "3.4", None, None, None, [], False, False, "workload",
     [("2026-06-01", "accepted"), ("2026-10-19", "")]),
    ("esign_batch", "in_progress", "3.3", None, None, None, [], False, False, "workload",
     [("2026-04-06", "accepted"), ("2026-07-13", "scheduled"), ("2026-09-28", "")]),
    ("portal_invoices", "accepted", None, None, None, None, [], False, False, "revenue", [("2026-09-14", "")]),
    ("import_rows", "scheduled", "3.4", None, None, None, [], False, False, "workload",
     [("2026-07-06", "accepted"), ("2026-11-16", "")]),
    ("alerts_im", "new", None, None, None, None, [], False, False, "workload", []),
    ("dispatch_skills", "accepted", None, None, None, None, [], False, False, "cost", [("2026-06-22", "")]),
    ("partial_payments", "new", None, None, None, None, [], True, False, None, []),
    ("template_share", "new", None, None, None, None, [], False, False, "workload", []),
    ("schedule_freeze", "in_progress", "3.3.1", None, None, None, [], False, False, None,
     [("2026-10-05", "accepted"), ("2026-11-09", "")]),
    ("ocr_blurry", "new", None, None, None, None, [], False, False, None, []),
    ("dashboard_fonts", "new", None, None, None, None, [], False, False, "looks", []),
    ("offline_checkin", "shipped", None, "3.2.4", "2026-09-21", "Check-ins are kept on the phone and sent when online",
     ["Mobile check-in"], False, False, "workload",
     [("2026-02-02", "accepted"), ("2026-04-13", "scheduled"), ("2026-06-29", "in_progress"), ("2026-09-21", "")]),
    ("report_logo", "new", None, None, None, None, [], False, False, "brand", []),
]


def write_requirements(requests: pd.DataFrame) -> None:
    """requirements.json: the requirements above, each with the ids of its theme's requests, the day it was created
    and its history (ValueLens applies it at demo load through metrics.requirements, as a person would have on the
    Requirements page on those days)."""
    import json

    titles = {t[0]: (t[1], t[2]) for t in THEMES}
    out = []
    for key, status, target, version, shipped, note, features, gap, core, benefit, steps in REQUIREMENTS:
        mine = requests[requests["theme"] == key]
        created = (pd.Timestamp(mine["提出日期"].min()) + pd.Timedelta(days=3)).strftime("%Y-%m-%d")
        history = [{"at": day, "status": step or status} for day, step in steps]
        days = [created] + [h["at"] for h in history]
        assert days == sorted(days), f"{key}: its history starts before it was created on {created}"
        out.append({"title": titles[key][0], "title_zh": titles[key][1], "requests": list(mine["需求编号"]),
                    "created": created, "history": history, "status": status, "target_version": target,
                    "shipped_version": version, "shipped_date": shipped, "status_note": note, "features": features,
                    "capability_gap": gap, "core_selling_point": core, "benefit": benefit})
    (OUT / "requirements.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _fix_zip_times(path: Path) -> None:
    """Give every member of a zip (an xlsx) the same time, and the workbook the same modified date, so the file is
    byte-identical on every run (openpyxl stamps both with the time of writing)."""
    with zipfile.ZipFile(path) as old:
        members = [(info, old.read(info)) for info in old.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for info, data in members:
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-11-01T00:00:00Z", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 11, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            new.writestr(fixed, data)


def main() -> None:
    rng = np.random.default_rng(SEED)
    accounts = make_accounts(rng)
    depth = rng.uniform(0.2, 1.0, len(accounts))
    renewals, planted = plant_renewals(accounts, depth)
    renewals.to_csv(OUT / "renewals.csv", index=False, encoding="utf-8")
    churned = {a: churn for a, (_, _, churn) in planted.items() if churn is not None}
    accounts = accounts.assign(renewal_date=[churned[a].strftime("%Y-%m-%d") if a in churned else d
                                             for a, d in zip(accounts["account_id"], accounts["renewal_date"])],
                               business_case_value=pd.array([int(round(BUSINESS_CASE * acv, -2)) if live else None
                                                             for acv, live in zip(accounts["annual_contract_value"],
                                                                                  accounts["go_live_date"])],
                                                            dtype="Int64"))
    accounts.to_csv(OUT / "accounts.csv", index=False, encoding="utf-8-sig")
    drivers = pd.DataFrame([d[:5] for d in DRIVERS], columns=["功能", "节省分钟", "计量方式", "类别", "说明"])
    # each feature's display name in both languages: the English one as the events name it, the Chinese one from
    # its description ("Routes orders automatically / 自动派单")
    drivers["英文名称"] = drivers["功能"]
    drivers["中文名称"] = [d[4].split(" / ")[1] for d in DRIVERS]
    drivers.to_csv(OUT / "value_drivers.csv", index=False, encoding="utf-8")
    make_objectives(accounts).to_csv(OUT / "objectives.csv", index=False, encoding="utf-8")
    requests = make_requests(accounts)
    requests.drop(columns="theme").to_csv(OUT / "requests.csv", index=False, encoding="utf-8")
    write_requirements(requests)
    events = apply_renewals(make_events(rng, accounts, depth), planted)
    table = pa.Table.from_pandas(events, preserve_index=False).cast(pa.schema([
        ("account_id", pa.string()), ("user_id", pa.string()), ("event_time", pa.timestamp("us")),
        ("feature", pa.string()), ("duration_seconds", pa.float64()), ("units", pa.float64())]))
    pq.write_table(table, OUT / "events.parquet", compression="zstd")
    wb = Workbook()
    sheet = wb.active
    sheet.title = "产出"
    sheet.append(["客户ID", "月份", "产出量", "人数", "工时"])
    for row in make_outcomes(rng, accounts, depth):
        sheet.append(row)
    wb.properties.created = wb.properties.modified = datetime(2026, 11, 1)
    wb.save(OUT / "outcomes.xlsx")
    _fix_zip_times(OUT / "outcomes.xlsx")
    print(f"{len(accounts)} accounts, {len(events)} events, {sheet.max_row - 1} outcome rows")


if __name__ == "__main__":
    main()
