"""The refusals users read (metrics.errors.DataError: a file that cannot be imported, a flag the CLI cannot take)
in English and Simplified Chinese.

A refusal is raised as its English sentence, in the product's words (never a library's message), most often after
the names it is about: "events.zip: day2.csv: has other headers than the first CSV file". `refusal` keeps those names
(file and member names are the customer's text) and translates the sentence by the catalog below, one pattern per
sentence the code can raise; `translated` says whether one matched, so that a test can hold every refusal of the
bad-input corpus to having its Chinese."""
from __future__ import annotations

import re
from collections.abc import Callable

from wording import term


def _kinds(text: str) -> str:
    return "、".join(term("kind", k.strip(), "zh") for k in text.split(","))


def _missing(text: str) -> str:
    """'required column(s) missing for accounts: account_name; ...' inside another refusal."""
    return "；".join(re.sub(r"^required column\(s\) missing for (\w+): (.+)$",
                            lambda m: f"{term('kind', m[1], 'zh')}缺少必需列：{m[2]}", part)
                     for part in text.split("; "))


_Zh = str | Callable[[re.Match[str]], str]
# (the sentence, anchored at its end; its Chinese: a template of its groups, or a function of the match)
CATALOG: list[tuple[re.Pattern[str], _Zh]] = [(re.compile(p + "$"), zh) for p, zh in [
    # the upload and its archive layers (metrics.ingest.inflation, archives, readers)
    (r"(?P<mb>[\d,]+) MB is over the (?P<limit>\d+) MB upload limit; import it with `python cli\.py import` instead "
     r"\(Parquet is fastest for large exports\)",
     r"\g<mb> MB，超过了 \g<limit> MB 的上传上限；请改用 `python cli.py import` 导入（大批量导出用 Parquet 最快）"),
    (r"unpacks to more than (?P<gb>\d+) GB, the most one import reads; split the export into smaller files",
     r"解压后超过 \g<gb> GB（一次导入最多读取的数据量）；请把导出拆成更小的文件"),
    (r"unpacks to more than (?P<ratio>\d+) times the size of the file \((?P<size>[\d.,]+ MB) on disk, past "
     r"(?P<limit>[\d.,]+ MB) unpacked\): no export compresses that well, so it is refused as padding or a compression "
     r"bomb; unpack it yourself and import what it holds",
     r"解压后超过文件本身大小的 \g<ratio> 倍（磁盘上 \g<size>，已解压超过 \g<limit>）：没有哪种导出能压缩到这种程度，"
     r"因此视为填充数据或压缩炸弹而拒绝；请自行解压后导入其中的文件"),
    (r"the zip archive is damaged", "zip 压缩包已损坏"),
    (r"damaged or truncated", "已损坏或不完整"),
    (r"the gzip file is damaged or truncated", "gzip 文件已损坏或不完整"),
    (r"no data files inside", "里面没有数据文件"),
    (r"no data files inside, only archives or workbooks: unpack them and import each on its own",
     "里面没有数据文件，只有压缩包或工作簿：请解压后逐个导入"),
    (r"its files are of several formats \((?P<formats>.+)\); a folder or archive must hold files of one format and "
     r"layout", r"其中的文件格式不一（\g<formats>）；一个文件夹或压缩包中的文件必须格式和结构相同"),
    (r"(?P<member>.+) is (?P<kind>\w+); an archive or folder must hold JSON lines, CSV, Parquet or Avro files of one "
     r"format \(the first was (?P<first>\w+)\)",
     r"\g<member> 是 \g<kind>；压缩包或文件夹中只能是同一种格式的 JSON lines、CSV、Parquet 或 Avro 文件（第一个文件是 "
     r"\g<first>）"),
    (r"(?P<member>.+) is (?P<kind>\w+); an archive or folder must hold JSON lines, CSV, Parquet or Avro files of one "
     r"format", r"\g<member> 是 \g<kind>；压缩包或文件夹中只能是同一种格式的 JSON lines、CSV、Parquet 或 Avro 文件"),
    (r"(?P<member>.+) has other headers than the first CSV file", r"\g<member> 的表头与第一个 CSV 文件不同"),
    (r"the data files inside are empty", "里面的数据文件都是空的"),
    (r"(?P<member>.+) starts with more than (?P<kb>\d+) KB of blank space; remove it and import again",
     r"\g<member> 开头有超过 \g<kb> KB 的空白；请删除后重新导入"),
    # formats
    (r"cannot read the Parquet file \(damaged or truncated\)", "无法读取 Parquet 文件（已损坏或不完整）"),
    (r"cannot read its Parquet files together \(damaged, or of other layouts\)",
     "无法一起读取其中的 Parquet 文件（已损坏，或结构不同）"),
    (r"(?P<member>.+) has other fields than the first Avro file", r"\g<member> 的字段与第一个 Avro 文件不同"),
    (r"cannot read the Avro file \(damaged or truncated\)", "无法读取 Avro 文件（已损坏或不完整）"),
    (r"no Avro records inside", "里面没有 Avro 记录"),
    (r"not valid JSON \(nested deeper than (?P<n>\d+) levels\)", r"不是有效的 JSON（嵌套超过 \g<n> 层）"),
    (r"not valid JSON \(neither one object a line nor one array or object of rows\)",
     "不是有效的 JSON（既不是每行一个对象，也不是一个数组或包含数据行的对象）"),
    (r"a JSON object without an array of rows", "JSON 对象中没有数据行数组"),
    (r"a JSON object with (?P<n>\d+) arrays of rows; expected one \(as in an API response \{\"results\": "
     r"\[\.\.\.\]\}\)", r"JSON 对象中有 \g<n> 个数据行数组；应当只有一个（如 API 响应 {\"results\": [...]}）"),
    (r"cannot be read as JSON: line (?P<line>\d+) is longer than (?P<mb>\d+) MB or the file is not valid JSON",
     r"无法按 JSON 读取：第 \g<line> 行超过 \g<mb> MB，或文件不是有效的 JSON"),
    (r"cannot be read as JSON: a record is longer than (?P<mb>\d+) MB or the file is not valid JSON",
     r"无法按 JSON 读取：有记录超过 \g<mb> MB，或文件不是有效的 JSON"),
    (r"no JSON object with fields found", "没有找到带字段的 JSON 对象"),
    (r"the file is empty", "文件是空的"),
    (r"the file is empty \(no header row\)", "文件是空的（没有表头行）"),
    (r"this is a PDF, not a CSV, XLSX or Parquet export", "这是 PDF 文件，不是 CSV、XLSX 或 Parquet 导出"),
    (r"old binary Excel \(\.xls\) is not supported; save it as \.xlsx or CSV",
     "不支持旧版二进制 Excel（.xls）；请另存为 .xlsx 或 CSV"),
    (r"binary content; expected a CSV, TSV, JSON, XLSX, Parquet or Avro export",
     "二进制内容；应为 CSV、TSV、JSON、XLSX、Parquet 或 Avro 导出"),
    # text and encodings (metrics.ingest.text)
    (r"mixed encodings: line (?P<a>\d+) is UTF-8 but line (?P<b>\d+) is not \(GBK\?\); save the whole file in one "
     r"encoding, preferably UTF-8, and import it again",
     r"编码混杂：第 \g<a> 行是 UTF-8，第 \g<b> 行不是（GBK？）；请把整个文件存为同一种编码（最好是 UTF-8）后重新导入"),
    (r"not UTF-8, and no other encoding reads it with confidence(?P<found>.*); save the file as UTF-8 \(Excel: Save "
     r"As > CSV UTF-8\) and import it again",
     r"不是 UTF-8，也没有其他编码能可靠地读取它\g<found>；请存为 UTF-8（Excel：另存为 > CSV UTF-8）后重新导入"),
    (r"not valid UTF-16 text; save the file as UTF-8 and import it again",
     "不是有效的 UTF-16 文本；请存为 UTF-8 后重新导入"),
    (r"line (?P<line>\d+): not valid (?P<enc>[\w-]+) text, though the file's start reads as (?P=enc); save the file as "
     r"UTF-8 and import it again", r"第 \g<line> 行不是有效的 \g<enc> 文本（文件开头按 \g<enc> 读取）；请存为 UTF-8 后重新导入"),
    (r"(?P<blank>[\d,]+) of its (?P<lines>[\d,]+) lines are blank, more than its lines of data: this is not "
     r"an export as a tool writes it; remove the blank lines and import it again",
     r"\g<lines> 行中有 \g<blank> 行是空行，比数据行还多：这不是工具正常写出的导出；请删除空行后重新导入"),
    # workbooks (metrics.ingest.workbook)
    (r"the workbook unpacks to more than (?P<mb>[\d,]+) MB; export the data as CSV or Parquet instead",
     r"工作簿解压后超过 \g<mb> MB；请改为导出 CSV 或 Parquet"),
    (r"a zip archive, not an Excel workbook \((?P<n>\d+) files inside\); unpack it and import the exports it holds",
     r"这是 zip 压缩包，不是 Excel 工作簿（内有 \g<n> 个文件）；请解压后导入其中的导出文件"),
    (r"the workbook's text table unpacks to more than (?P<mb>\d+) MB; export the data as CSV or Parquet instead",
     r"工作簿的文本表解压后超过 \g<mb> MB；请改为导出 CSV 或 Parquet"),
    (r"a cell holds more text than Excel allows \(32,767 characters\); the workbook is damaged or not a real export",
     "有单元格的文字超过 Excel 允许的长度（32,767 个字符）；工作簿已损坏或不是真实的导出"),
    (r"a sheet claims (?P<n>[\d,]+) rows, more than Excel's (?P<max>[\d,]+); export the data as CSV or Parquet "
     r"instead", r"有工作表声称有 \g<n> 行，超过 Excel 的上限 \g<max> 行；请改为导出 CSV 或 Parquet"),
    (r"cannot open the Excel workbook \(damaged or truncated\)", "无法打开 Excel 工作簿（已损坏或不完整）"),
    (r"no sheet named '(?P<name>.*)' \(sheets: (?P<sheets>.*)\)", r"没有名为“\g<name>”的工作表（现有工作表：\g<sheets>）"),
    (r"the workbook has no visible sheet", "工作簿没有可见的工作表"),
    (r"cannot (?P<verb>open|read) the Excel workbook: its XML is damaged, truncated or not what Excel writes; open it "
     r"in Excel and save it again, or export CSV",
     lambda m: ("无法打开" if m["verb"] == "open" else "无法读取") + "Excel 工作簿：其 XML 已损坏、不完整或不是 Excel "
                                                                 "写出的格式；请在 Excel 中打开后重新保存，或导出 CSV"),
    (r"more rows than Excel's (?P<max>[\d,]+); export the data as CSV or Parquet instead",
     r"行数超过 Excel 的上限 \g<max> 行；请改为导出 CSV 或 Parquet"),
    (r"the workbook's first sheet is empty \(no header row\)", "工作簿的第一个工作表是空的（没有表头行）"),
    # what the file is and how it maps (metrics.ingest.importer, contract, presets, nested)
    (r"no such file", "文件不存在"),
    (r"the import was interrupted; nothing is stored", "导入被中断；没有保存任何数据"),
    (r"cannot tell what this file is; its headers \((?P<headers>.*)\) cover no kind's required columns"
     r"(?: \((?P<partial>.+)\))?\. Choose the kind and map the columns\.",
     lambda m: f"无法判断这是什么文件；其表头（{m['headers']}）不包含任何数据类型的全部必需列"
               + (f"（{_missing(m['partial'])}）" if m["partial"] else "") + "。请选择数据类型并映射列。"),
    (r"required column\(s\) missing for (?P<kind>\w+): (?P<cols>.+)\. Found headers: (?P<headers>.*)\. Rename them "
     r"or map them to contract columns\.",
     lambda m: f"{term('kind', m['kind'], 'zh')}缺少必需列：{m['cols']}。找到的表头：{m['headers']}。"
               "请重命名这些列，或把它们映射到数据契约中的列。"),
    (r"the file has a header but no data rows", "文件只有表头，没有数据行"),
    (r"'(?P<col>.*)' is not a column of (?P<kind>\w+) \(expected one of: (?P<cols>.+)\)",
     lambda m: f"“{m['col']}”不是{term('kind', m['kind'], 'zh')}的列（应为以下之一：{m['cols']}）"),
    (r"headers '(?P<a>.*)' and '(?P<b>.*)' both map to (?P<col>\w+); map only one of them",
     r"表头“\g<a>”和“\g<b>”都映射到了 \g<col>；只能映射其中一个"),
    (r"this export fits none of the (?P<tool>.+) preset's layouts; the nearest, (?P<layout>\S+) \((?P<doc>\S+)\), "
     r"expects the fields (?P<fields>.+) and this file lacks (?P<lacks>.+)\. Found headers: (?P<headers>.*)\. Choose "
     r"another preset or none\.",
     r"此导出不符合 \g<tool> 预设的任何结构；最接近的 \g<layout>（\g<doc>）需要字段 \g<fields>，而此文件缺少 "
     r"\g<lacks>。找到的表头：\g<headers>。请选择其他预设，或不用预设。"),
    (r"unknown kind '(?P<kind>.*)' \(expected one of: (?P<kinds>.+)\)",
     lambda m: f"未知的数据类型“{m['kind']}”（应为以下之一：{_kinds(m['kinds'])}）"),
    (r"unknown preset '(?P<name>.*)' \(expected one of: (?P<names>.+)\)", r"未知的预设“\g<name>”（应为以下之一：\g<names>）"),
    (r"'(?P<name>.*)' is neither a header nor a path into a nested column", r"“\g<name>”既不是表头，也不是嵌套列中的路径"),
    # rollups, the database, settings, periods, accounts
    (r"not a rollup folder \(needs Parquet files in (?P<dirs>.+)\)", r"不是汇总数据文件夹（需要 \g<dirs> 中的 Parquet 文件）"),
    (r"cannot read the rollups \(damaged Parquet files, or not the rollups' columns\)",
     "无法读取汇总数据（Parquet 文件已损坏，或列不是汇总数据的列）"),
    (r"cannot open the database \(damaged, not a ValueLens database, or not readable\)",
     "无法打开数据库（已损坏、不是 ValueLens 数据库，或无法读取）"),
    (r"the database is in use by (?P<holder>.+) \(the app, or another import\); waited (?P<s>[\d.]+) s\. Try again when "
     r"it has finished, or stop the app for large imports\.",
     lambda m: f"数据库正被{'另一个进程' if m['holder'] == 'another process' else m['holder'].replace('process', '进程')}"
               f"使用（应用或另一次导入）；已等待 {m['s']} 秒。请在其完成后重试，大批量导入时请先停止应用。"),
    (r"no snapshot published; start the app with serve\.py", "尚未发布快照；请用 serve.py 启动应用"),
    (r"unknown time zone '(?P<zone>.*)' \(use an IANA name such as UTC, Asia/Shanghai, Europe/Berlin\)",
     r"未知的时区“\g<zone>”（请使用 IANA 名称，如 UTC、Asia/Shanghai、Europe/Berlin）"),
    (r"'(?P<text>.*)' is not a month \(use YYYY-MM\)", r"“\g<text>”不是月份（格式为 YYYY-MM）"),
    (r"'(?P<text>.*)' is not a date \(use YYYY-MM-DD\)", r"“\g<text>”不是日期（格式为 YYYY-MM-DD）"),
    (r"the period must end after it starts \((?P<a>\S+) to (?P<b>\S+)\)", r"统计期的结束必须晚于开始（\g<a> 至 \g<b>）"),
    (r"unknown account '(?P<id>.*)'", r"未知的客户“\g<id>”"),
    (r"the import failed on a fault of ours, not of the file; nothing of it was stored \(VALUELENS_DEBUG=1 shows the "
     r"fault\)", "导入因本产品自身的故障而失败，不是文件的问题；文件中的任何数据都没有保存（设置 VALUELENS_DEBUG=1 可查看故障）"),
    (r"no such feature: (?P<names>.+) \(the features are: (?P<known>.*)\)",
     r"没有这个功能：\g<names>（现有功能：\g<known>）"),
]]


_SLIDE = [(re.compile(p + "$"), zh) for p, zh in [
    (r"slide (?P<n>\d+): unknown token (?P<t>.+)", r"第 \g<n> 页：未知的标记 \g<t>"),
    (r"slide (?P<n>\d+): (?P<t>.+) is the CSM's figure, filled only in an internal export \(--internal\)",
     r"第 \g<n> 页：\g<t> 是客户成功经理的内部数据，只在内部版导出（--internal）中填写"),
    (r"slide (?P<n>\d+): unknown field (?P<t>.+) of (?P<c>\w+) \(fields: (?P<f>.*)\)",
     r"第 \g<n> 页：\g<c> 没有字段 \g<t>（可用字段：\g<f>）"),
    (r"slide (?P<n>\d+): (?P<t>.+) outside a repeated slide \(add (?P<e>.+) to it\)",
     r"第 \g<n> 页：\g<t> 不在重复页上（请在该页加上 \g<e>）"),
    (r"slide (?P<n>\d+): repeats over more than one collection \((?P<c>.*)\)",
     r"第 \g<n> 页：同一页重复了不止一个集合（\g<c>）"),
    (r"slide (?P<n>\d+): (?P<t>.+) must be the only text of its shape", r"第 \g<n> 页：\g<t> 必须是其形状中唯一的文字"),
]]


def _slides(found: re.Match[str]) -> str:
    """A deck template's problems, one a slide ('slide 3: unknown token {{x}}; slide 5: ...')."""
    out = []
    for part in found.group(0).split("; "):
        for pattern, zh in _SLIDE:
            if hit := pattern.match(part):
                out.append(hit.expand(zh))
                break
        else:
            out.append(part)
    return "；".join(out)


CATALOG += [(re.compile(p + "$"), zh) for p, zh in [
    (r"slide \d+: .+", _slides),
    (r"larger than (?P<mb>\d+) MB, the most an upload may be", r"大于 \g<mb> MB，超过了上传上限"),
    (r"not a PowerPoint file \(\.pptx\): it cannot be opened as one", "不是 PowerPoint 文件（.pptx）：无法打开"),
    (r"not a PowerPoint file \(\.pptx\): no presentation inside", "不是 PowerPoint 文件（.pptx）：其中没有演示文稿"),
    (r"holds (?P<n>[\d,]+) parts, more than a deck template has \((?P<max>[\d,]+)\)",
     r"包含 \g<n> 个部件，超过了演示模板应有的数量（\g<max>）"),
    (r"holds macros or ActiveX controls \((?P<part>.+)\); save it as a \.pptx without macros",
     r"包含宏或 ActiveX 控件（\g<part>）；请另存为不含宏的 .pptx"),
    (r"holds macros or ActiveX controls; save it as a \.pptx without macros", "包含宏或 ActiveX 控件；请另存为不含宏的 .pptx"),
    (r"(?P<part>[^:]+) is damaged or truncated", r"\g<part> 已损坏或不完整"),
    (r"(?P<part>[^:]+) declares a DTD or entities, which a deck never needs; refused",
     r"\g<part> 声明了 DTD 或实体，演示文稿从不需要这些；已拒绝"),
    (r"(?P<part>[^:]+) is not well-formed XML", r"\g<part> 不是格式正确的 XML"),
    (r"no template is kept yet \(upload one on the Deck template page\)", "尚未保存任何模板（请在“演示模板”页面上传）"),
    (r"cannot read (?P<file>.+)", r"无法读取 \g<file>"),
]]


def translated(message: str) -> str | None:
    """The Chinese of a refusal, its names kept, or None when the catalog has no sentence for it."""
    starts = [0] + [m.end() for m in re.finditer(": ", message)]
    for start in starts:  # the shortest prefix of names whose rest is a sentence of the catalog
        rest = message[start:]
        for pattern, zh in CATALOG:
            if found := pattern.match(rest):
                sentence = zh(found) if callable(zh) else found.expand(zh)
                names = message[:start].removesuffix(": ")
                return f"{names}：{sentence}" if names else sentence
    return None


def refusal(message: str, lang: str) -> str:
    """A refusal in `lang` (English as raised; Chinese from the catalog, or as raised when it has none)."""
    if lang != "zh":
        return message
    return translated(message) or message
