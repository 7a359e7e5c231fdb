"""Training lists as an Excel workbook: one sheet per underused value feature, the active users who have not used it
(who to invite), most active first. Personal data: written only for someone who may see the account."""
from __future__ import annotations

import io
import re

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

from exports.cells import HEADER_FILL, cell_font
from exports.safety import write_text
from exports.strings import text

COLUMNS = ("user_id", "name", "email", "department", "active_days", "events")


def training_xlsx(lists: dict[str, pd.DataFrame], lang: str = "en") -> bytes:
    """The training lists (metrics.people.training) as .xlsx bytes, one sheet a feature, headers in `lang`."""
    wb = Workbook()
    wb.remove(wb.active)

    def font(value: object, **style: object) -> Font:
        return cell_font(value, lang, **style)

    used: set[str] = set()
    for feature, users in lists.items():
        title = re.sub(r"[\[\]:*?/\\]", " ", feature)[:31].strip() or "feature"
        while title in used:  # sheet names are unique and at most 31 characters
            title = title[:28] + f"~{len(used)}"
        used.add(title)
        ws = wb.create_sheet(title)
        heading = text(lang, "training_sheet_title", feature=feature, n=len(users))
        write_text(ws.cell(1, 1), heading).font = font(heading, bold=True, size=13, color="1F4E79")
        for col, key in enumerate(COLUMNS, start=1):
            label = text(lang, f"training_col_{key}")
            cell = write_text(ws.cell(3, col), label)
            cell.font, cell.fill = font(label, bold=True, color="FFFFFF"), HEADER_FILL
            ws.column_dimensions[cell.column_letter].width = 26 if key in ("email", "name") else 16
        for row, values in enumerate(users[list(COLUMNS)].itertuples(index=False), start=4):
            for col, value in enumerate(values, start=1):
                cell = ws.cell(row, col)
                if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:
                    cell.value = int(value)
                else:
                    write_text(cell, value)  # customer text is never a formula
                cell.font = font(value)
        ws.freeze_panes = "A4"
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0  # printed one page wide (LibreOffice split it)
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    if not wb.sheetnames:
        ws = wb.create_sheet(text(lang, "training_none_sheet"))
        write_text(ws.cell(1, 1), text(lang, "training_none"))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
