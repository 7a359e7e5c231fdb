"""The requirement board as an Excel workbook for the product team: one row per requirement, ranked as on the
Requirements page, with its letter, the suggestion and why, who asks, and the customers' own words."""
from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from exports.cells import _CJK, HEADER_FILL, cell_font
from exports.safety import write_text
from exports.strings import text
from metrics.requirements import Requirement
from wording import requirement_reason, term, title_in, why_not
from wording.numbers import fmt

TOP_REQUESTS = 3  # the newest requests' words shown per requirement
COLUMNS = ("priority", "suggested", "title", "status", "version", "reasons", "accounts", "acv", "acv_renewing",
           "industries", "regions", "benchmark", "requests", "words")
WIDTHS = (8, 9, 30, 12, 10, 46, 8, 16, 16, 18, 16, 14, 8, 52)
LINE_HEIGHT = 15  # points per text line: rows are sized to their wrapped text (LibreOffice does not size them)


def _lines(value: object, width: float) -> int:
    """How many lines `value` wraps to in a column `width` characters wide (a CJK character is two wide)."""
    if not isinstance(value, str) or not value:
        return 1
    return sum(max(1, -(-sum(2 if _CJK.match(ch) else 1 for ch in line) // max(1, int(width * 0.85))))
               for line in value.split("\n"))


def board_xlsx(items: Sequence[Requirement], lang: str = "en", *, title: str | None = None) -> bytes:
    """The ranked board (metrics.requirements.board, in its order) as .xlsx bytes, in `lang`."""
    wb = Workbook()
    ws = wb.active
    ws.title = text(lang, "board_sheet")

    def font(value: object, **style: object) -> Font:
        return cell_font(value, lang, **style)

    heading = title or text(lang, "board_title")
    write_text(ws.cell(1, 1), heading).font = font(heading, bold=True, size=14, color="1F4E79")
    for col, (key, width) in enumerate(zip(COLUMNS, WIDTHS), start=1):
        label = text(lang, f"board_col_{key}")
        cell = write_text(ws.cell(3, col), label)
        cell.font, cell.fill = font(label, bold=True, color="FFFFFF"), HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(col)].width = width
    for row, item in enumerate(items, start=4):
        cov = item.coverage
        fields = item.fields
        version = fields["shipped_version"] or fields["target_version"] or ""
        newest = sorted(item.requests, key=lambda r: (r.request_date, r.request_id), reverse=True)[:TOP_REQUESTS]
        status = text(lang, f"req_status_{item.status}")
        if why := why_not(item.status, fields["status_note"], lang):  # in the workbook's language
            status += "\n" + why
        values = [item.priority, item.suggestion.letter, title_in(item.title, lang), status,
                  version, "\n".join(requirement_reason(x.code, x.values, lang) for x in item.suggestion.reasons),
                  len(cov.accounts), "; ".join(fmt(v, "currency", lang, currency=c) for c, v in cov.acv.items()),
                  "; ".join(fmt(v, "currency", lang, currency=c) for c, v in cov.acv_renewing.items()),
                  ", ".join(term("industry", x, lang) for x in cov.industries),
                  ", ".join(term("region", x, lang) for x in cov.regions), ", ".join(cov.benchmark),
                  len(item.requests), "\n".join(f"{r.request_date.isoformat()} {r.account_id}: {r.words}"
                                                for r in newest)]
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row, col)
            if isinstance(value, int):
                cell.value = value
            else:
                write_text(cell, value)  # customer text is never a formula
            cell.font = font(value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        if item.fields["priority"]:  # a letter set by a person: marked, with its reason in the reasons cell
            ws.cell(row, 1).fill = PatternFill("solid", fgColor="FFF2CC")
            reason = text(lang, "board_override", reason=str(fields["priority_reason"]))
            write_text(ws.cell(row, 6), reason + "\n" + str(ws.cell(row, 6).value or ""))
        ws.row_dimensions[row].height = LINE_HEIGHT * max(
            _lines(ws.cell(row, col).value, width) for col, width in enumerate(WIDTHS, start=1))
    ws.row_dimensions[3].height = LINE_HEIGHT * max(_lines(ws.cell(3, col).value, width)
                                                    for col, width in enumerate(WIDTHS, start=1))
    ws.freeze_panes = "D4"
    ws.auto_filter.ref = f"A3:{get_column_letter(len(COLUMNS))}{max(3, len(items) + 3)}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
