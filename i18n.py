"""UI text in English and Simplified Chinese; `t(key)` reads the language chosen in the sidebar."""
from __future__ import annotations

import streamlit as st

LANGUAGES = {"en": "English", "zh": "简体中文"}

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "app_title": "ValueLens",
        "language": "Language",
        "section_cs": "Customer success",
        "section_exec": "Executives",
        "section_data": "Data",
        "page_account": "Account value report",
        "page_portfolio": "Portfolio",
        "page_adoption": "Adoption explorer",
        "page_import": "Import data",
        "page_value_model": "Value model",
        "loading_demo": "Loading the demo data into an empty database…",
        "local_mode": "Single-user local mode: sign-in is not configured.",
        "coming": "This page arrives with the {work} work and is not available yet. Meanwhile, here is what is loaded.",
        "work_pages": "customer pages",
        "work_value_model": "value-model editor",
        "accounts_loaded": "{n} accounts loaded",
        "no_accounts": "No accounts yet. Import an accounts file on the Import data page.",
        "upload": "Upload exports (CSV, XLSX or Parquet; UTF-8 or GBK)",
        "source": "Source (header mappings are remembered per source)",
        "kind": "Kind of data",
        "kind_unknown": "Could not tell what this file holds: choose the kind.",
        "detected": "Format: {fmt} · encoding: {enc} · detected kind: {kind}",
        "mapping": "Column mapping",
        "header": "File header",
        "column": "Contract column",
        "map_header": "Map “{header}” to",
        "ignore": "(ignore)",
        "missing": "Required columns missing: {cols}. Map a header to each of them.",
        "preview": "First rows",
        "import": "Import {file}",
        "loaded": "Loaded",
        "unchanged": "Duplicates skipped",
        "rejected": "Rejected",
        "already": "{file} was already imported (same content): nothing changed.",
        "rejects": "Rejected rows (line, column, value, reason)",
        "recent": "Recent imports",
        "contract": "Data contract",
        "value_drivers": "Value drivers",
        "no_value_drivers": "No value model yet. Import a value_drivers file.",
    },
    "zh": {
        "app_title": "ValueLens 价值透镜",
        "language": "语言",
        "section_cs": "客户成功",
        "section_exec": "管理层",
        "section_data": "数据",
        "page_account": "客户价值报告",
        "page_portfolio": "客户组合",
        "page_adoption": "功能采用分析",
        "page_import": "导入数据",
        "page_value_model": "价值模型",
        "loading_demo": "数据库为空，正在加载演示数据…",
        "local_mode": "单用户本地模式：未配置登录。",
        "coming": "此页面将随「{work}」一同上线，目前尚不可用。以下为已加载的数据。",
        "work_pages": "客户页面",
        "work_value_model": "价值模型编辑器",
        "accounts_loaded": "已加载 {n} 个客户",
        "no_accounts": "还没有客户。请在“导入数据”页导入客户文件。",
        "upload": "上传导出文件（CSV、XLSX 或 Parquet；UTF-8 或 GBK）",
        "source": "数据来源（按来源记住列映射）",
        "kind": "数据类型",
        "kind_unknown": "无法识别该文件的数据类型，请选择。",
        "detected": "格式：{fmt} · 编码：{enc} · 识别类型：{kind}",
        "mapping": "列映射",
        "header": "文件列名",
        "column": "标准列",
        "map_header": "将“{header}”映射为",
        "ignore": "（忽略）",
        "missing": "缺少必填列：{cols}。请为每一列指定一个文件列。",
        "preview": "前几行",
        "import": "导入 {file}",
        "loaded": "已导入",
        "unchanged": "重复已跳过",
        "rejected": "已拒绝",
        "already": "{file} 已导入过（内容相同），未做任何更改。",
        "rejects": "被拒绝的行（行号、列、值、原因）",
        "recent": "最近的导入",
        "contract": "数据规范",
        "value_drivers": "价值驱动因素",
        "no_value_drivers": "还没有价值模型。请导入 value_drivers 文件。",
    },
}


def lang() -> str:
    """The current UI language code."""
    return st.session_state.get("lang", "en")


def t(key: str, **fmt: object) -> str:
    """The UI text for `key` in the current language."""
    text = STRINGS[lang()][key]
    return text.format(**fmt) if fmt else text
