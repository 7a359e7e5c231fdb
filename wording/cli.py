"""What the command line says about an import (cli.py import and demo) and the attention list, in English and
Chinese."""
from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "already": "{file}: already imported (same content), nothing to do",
        "summary": "{file} [{kind}]{preset}: {loaded} loaded, {rejected} rejected, {unchanged} unchanged (already "
                   "loaded){excluded}{filtered} (of {read} rows read)",
        "preset": " [preset {preset}, layout {layout}]",
        "excluded": ", {n} lines excluded (blank lines, a report's footer)",
        "read_as": "  read as {fmt}, {encoding}",
        "fields": "  fields: {fields}",
        "filtered": ", {n} left out by the event filter",
        "warning": "  warning: {text}",
        "reject": "  line {line}{column}: {reason}{value}",
        "column": ", column {column}",
        "more": "  ... see the rejects table for all {n} rejected rows",
        "nothing_loaded": "error: {file}: nothing loaded, every one of its {n} rows was rejected",
        "attention_head": "{period}: {n} accounts need attention (renewals and go-live counted from today, {today})",
        "backtest_head": "Health score against {n} renewals ({bad} contracted or churned, {withheld} without a score)",
        "backtest_auc": "  ROC AUC {auc}; lowest {low} scored: {low_share} contracted or churned against {share} of "
                        "all, lift {lift}",
        "backtest_part": "  {name} alone: AUC {auc}",
        "backtest_interval": "  ROC AUC 90 % interval {low} to {high} ({samples} bootstrap resamples of the renewals)",
        "backtest_too_few": "  Too few renewals to judge: {good} renewed or expanded and {bad} contracted or churned; a "
                            "judgement needs at least {min} of each",
        "backtest_none": "No renewal outcomes imported: import a renewals file (account, renewal date, outcome) first",
        "requests_head": "{n} requirements, ranked; {open} requests not grouped yet",
        "requests_letters": "Letters in force: {letters}",
        "requests_line": "({status}; {n} requests from {accounts} accounts; suggested {suggested})",
        "users_head": "{name} ({id}), {period}: {champion} champions, {regular} regular, {occasional} occasional, "
                      "{dormant} dormant, {never_active} never active; the top user produces {top1} of the hours "
                      "saved",
        "users_training": "{feature}: {n} active users have not used it",
    },
    "zh": {
        "already": "{file}：已导入过（内容相同），无需再导入",
        "summary": "{file} [{kind}]{preset}：载入 {loaded} 行，拒绝 {rejected} 行，未变 {unchanged} 行（此前已载入）"
                   "{excluded}{filtered}（共读取 {read} 行）",
        "preset": " [预设 {preset}，格式 {layout}]",
        "excluded": "，排除 {n} 行（空行、报表页脚）",
        "read_as": "  读取为 {fmt}，编码 {encoding}",
        "fields": "  字段：{fields}",
        "filtered": "，事件筛选排除 {n} 行",
        "warning": "  提示：{text}",
        "reject": "  第 {line} 行{column}：{reason}{value}",
        "column": "，列 {column}",
        "more": "  ……全部 {n} 条被拒绝的行见拒绝记录表",
        "nothing_loaded": "错误：{file}：没有载入任何行，全部 {n} 行均被拒绝",
        "attention_head": "{period}：{n} 个客户需要关注（续约与上线按今天 {today} 计算）",
        "backtest_head": "健康度对照 {n} 次续约（其中缩减或流失 {bad} 次，{withheld} 次无法计分）",
        "backtest_auc": "  ROC AUC {auc}；得分最低的 {low} 次中缩减或流失占 {low_share}，全部中占 {share}，提升度 {lift}",
        "backtest_part": "  仅用{name}：AUC {auc}",
        "backtest_interval": "  ROC AUC 的 90% 区间 {low} 至 {high}（对续约记录做 {samples} 次自助重抽样）",
        "backtest_too_few": "  续约太少，尚不足以判断：续约或扩容 {good} 次，缩减或流失 {bad} 次；每类至少需要 {min} 次",
        "backtest_none": "尚未导入续约结果：请先导入续约记录（客户、续约日期、续约结果）",
        "requests_head": "{n} 个需求项（按优先级排列）；{open} 条客户需求尚未归并",
        "requests_letters": "当前优先级分布：{letters}",
        "requests_line": "（{status}；{n} 条需求，来自 {accounts} 个客户；建议 {suggested}）",
        "users_head": "{name}（{id}），{period}：骨干用户 {champion} 人，常规 {regular} 人，偶尔使用 {occasional} 人，"
                      "沉睡 {dormant} 人，从未使用 {never_active} 人；贡献最多的用户占节省工时的 {top1}",
        "users_training": "{feature}：{n} 名活跃用户尚未使用",
    },
}


def text(lang: str, key: str, **values: object) -> str:
    """The CLI string `key` in `lang` (English when the language is unknown), filled with `values`."""
    return STRINGS.get(lang, STRINGS["en"])[key].format(**values)
