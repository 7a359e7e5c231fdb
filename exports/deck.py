"""The QBR deck: one account's value story as an editable PowerPoint with native charts, on a template."""
from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

import duckdb
import pandas as pd
from lxml import etree
from pptx import Presentation
from pptx.chart.chart import Chart
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.dml import MSO_THEME_COLOR
from pptx.enum.shapes import MSO_SHAPE, PP_PLACEHOLDER
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml import parse_xml
from pptx.oxml.ns import nsdecls, qn
from pptx.oxml.text import CT_RegularTextRun
from pptx.slide import Slide, SlideLayout
from pptx.table import _Cell
from pptx.text.text import TextFrame
from pptx.util import Inches, Pt

from exports.data import ExportData, StoreFacts, gather, peer_rows
from exports.safety import SafeCategoryChartData, safe_cell_text
from exports.strings import fmt, reason, text
from metrics.objectives import UNITS as OBJECTIVE_UNITS
from metrics.period import Period
from metrics.privacy import MIN_OTHERS
from metrics.registry import METRICS
from metrics.report import PeriodInputs
from metrics.story import MIN_ACTIVE_USERS, TOP_GAPS
from wording import formula, risk_text

TEMPLATE = Path(__file__).resolve().parent / "templates" / "qbr_template.pptx"
EAST_ASIAN = "Microsoft YaHei"  # PowerPoint and LibreOffice fall back to another CJK font where it is missing
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
MAX_BARS = 10
ROW_HEIGHT = Inches(0.4)
CELL_MARGIN = Inches(0.08)
MIN_FONT = 8.0
SPACE_AFTER = 8.0  # points after each paragraph of a text box


def _text_width(text: str, size: float) -> int:
    """About how wide `text` is at `size` points, in EMU: a CJK character is one em, anything else 0.6 em (digits
    in the CJK fonts LibreOffice substitutes are that wide)."""
    ems = sum(1.0 if _CJK.match(ch) else 0.6 for ch in text)
    return int(ems * size * 12700)


def _text_size(lines: list[str], width: int, height: int, size: float, space_after: float, bold: bool) -> float:
    """The largest size up to `size` at which `lines`, wrapped at `width`, fit `height` (1.2 line spacing)."""
    def needed(at: float) -> float:
        wrapped = sum(max(1, -(-_text_width(line, at * (1.1 if bold else 1)) // width)) for line in lines)
        return wrapped * at * 1.2 * 12700 + len(lines) * space_after * 12700

    while size > MIN_FONT and needed(size) > height:
        size -= 1
    return max(size, MIN_FONT)


def _fitting_size(rows: list[list[str]], columns: list[int], size: float) -> float:
    """The largest font size up to `size` at which body cells fit on one line and header words do not break."""
    def fits(at: float) -> bool:
        for r, values in enumerate(rows):
            for value, column in zip(values, columns):
                room = column - 2 * CELL_MARGIN
                parts = str(value).split() if r == 0 else [str(value)]
                if r > 0 and len(str(value)) > 40:  # long text (a formula, a sentence) wraps at words
                    parts = str(value).split()
                if any(_text_width(part, at) > room for part in parts if not _CJK.search(part)) or \
                        (r > 0 and _CJK.search(str(value)) and len(str(value)) <= 40
                         and _text_width(str(value), at) > room):
                    return False
        return True

    while size > MIN_FONT and not fits(size):
        size -= 0.5
    return size


# ------------------------------------------------------------------------------------------------ text and fonts

def _east_asian(run_props: etree._Element) -> None:
    """Give a run (or a default run style) an East-Asian typeface: <a:ea> must follow <a:latin> in the schema."""
    for old in run_props.findall(qn("a:ea")):
        run_props.remove(old)
    ea = etree.SubElement(run_props, qn("a:ea"))
    ea.set("typeface", EAST_ASIAN)
    latin = run_props.find(qn("a:latin"))
    if latin is not None:
        latin.addnext(ea)
    else:
        first = next((c for c in run_props if c.tag in {qn(t) for t in (
            "a:cs", "a:sym", "a:hlinkClick", "a:hlinkMouseOver", "a:rtl", "a:extLst")}), None)
        if first is not None:
            first.addprevious(ea)


def _style(frame: TextFrame, lang: str, size: float | None = None, bold: bool | None = None,
           color: MSO_THEME_COLOR | None = None) -> None:
    """Size, weight and theme colour for every run; Chinese text gets the East-Asian font and zh-CN language."""
    for paragraph in frame.paragraphs:
        for run in paragraph.runs:
            if size:
                run.font.size = Pt(size)
            if bold is not None:
                run.font.bold = bold
            if color is not None:
                run.font.color.theme_color = color
            if lang == "zh" or _CJK.search(run.text):
                props = run._r.get_or_add_rPr()
                props.set("lang", "zh-CN")
                _east_asian(props)


# a table cell's margins and vertical anchor (the attributes python-pptx's margin and anchor setters write)
_CELL_PROPERTIES = {"marL": str(CELL_MARGIN), "marR": str(CELL_MARGIN), "marT": str(Inches(0.03)),
                    "marB": str(Inches(0.03)), "anchor": "ctr"}


def _style_runs(cell: etree._Element, lang: str, size: float, bold: bool) -> None:
    """_style for a table cell's runs, on their XML: the size, bold when asked, and for Chinese the East-Asian
    font and zh-CN language."""
    points = str(Pt(size).centipoints)
    for run in cell.iter(qn("a:r")):
        props = run.get_or_add_rPr()
        props.set("sz", points)
        if bold:
            props.set("b", "1")
        if lang == "zh" or _CJK.search(run.text):
            props.set("lang", "zh-CN")
            _east_asian(props)


_TABLE_STYLE = "{5C22544A-7EE6-4342-B048-85BDC9FD1C3A}"  # the table style python-pptx's add_table gives a table


def _run_xml(text: str, points: str, bold: bool, east_asian: bool) -> str:
    """The run python-pptx's text setter and _style_runs make of one line of text, as XML text:
    <a:r><a:rPr sz b lang><a:ea/></a:rPr><a:t>text, control characters and markup escaped</a:t></a:r>."""
    attributes = f' sz="{points}"' + (' b="1"' if bold else "") + (' lang="zh-CN"' if east_asian else "")
    font = f'<a:ea typeface="{escape(EAST_ASIAN)}"/>' if east_asian else ""
    body = escape(CT_RegularTextRun._escape_ctrl_chars(text))
    return f"<a:r><a:rPr{attributes}>{font}</a:rPr><a:t>{body}</a:t></a:r>"


def _table_xml(rows: list[list[str]], columns: list[int], row_height: int, points: str,
               lang: str) -> tuple[str, list[tuple[int, int, str]]]:
    """The <a:tbl> of a deck table as XML text, parsed once (python-pptx's add_table parses every cell's XML and
    then each cell was filled: a fifth of a deck's build): python-pptx's table style, the column widths, rows of
    row_height, cells with their margins and anchor and a one-line text's run (bold in the header); and the cells
    (row, column, text) of more than one line, left empty for python-pptx's text setter to lay out."""
    cell_properties = "".join(f' {k}="{v}"' for k, v in _CELL_PROPERTIES.items())
    grid = "".join(f'<a:gridCol w="{w}"/>' for w in columns)
    body, laid_out = [], []
    for r, values in enumerate(rows):
        cells = []
        for c, value in enumerate(values):
            text = safe_cell_text(value)
            run = ""
            if "\n" in text or "\v" in text:
                laid_out.append((r, c, text))
            elif text:
                run = _run_xml(text, points, r == 0, lang == "zh" or bool(_CJK.search(text)))
            paragraph = f"<a:p>{run}</a:p>" if run else "<a:p/>"
            cells.append(f"<a:tc><a:txBody><a:bodyPr/><a:lstStyle/>{paragraph}</a:txBody>"
                         f"<a:tcPr{cell_properties}/></a:tc>")
        body.append(f'<a:tr h="{row_height}">{"".join(cells)}</a:tr>')
    xml = (f'<a:tbl {nsdecls("a")}><a:tblPr firstRow="1" bandRow="1"><a:tableStyleId>{_TABLE_STYLE}'
           f'</a:tableStyleId></a:tblPr><a:tblGrid>{grid}</a:tblGrid>{"".join(body)}</a:tbl>')
    return xml, laid_out


def _fill(frame: TextFrame, lines: list[str], lang: str, size: float, bold: bool = False,
          color: MSO_THEME_COLOR | None = None) -> None:
    """Replace a text frame's text with `lines`, one paragraph each; customer text stays plain text."""
    frame.word_wrap = True
    frame.text = safe_cell_text(lines[0]) if lines else ""
    for line in lines[1:]:
        frame.add_paragraph().text = safe_cell_text(line)
    _style(frame, lang, size, bold, color)


# ------------------------------------------------------------------------------------------------ the template

def _layout(prs: Presentation, want: str) -> SlideLayout:
    """The template's title, title-and-content or title-only layout, found by its placeholders (any template)."""
    def kinds(layout: SlideLayout) -> set[int]:
        return {p.placeholder_format.type for p in layout.placeholders}

    body = {PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT}
    tests = {
        "title": lambda k: PP_PLACEHOLDER.CENTER_TITLE in k or PP_PLACEHOLDER.SUBTITLE in k,
        "content": lambda k: PP_PLACEHOLDER.TITLE in k and len(k & body) >= 1,
        "title_only": lambda k: PP_PLACEHOLDER.TITLE in k and not k & body,
    }
    names = {"title": "Title Slide", "content": "Title and Content", "title_only": "Title Only"}
    layouts = list(prs.slide_layouts)
    for layout in layouts:
        if layout.name == names[want]:
            return layout
    for layout in layouts:
        if tests[want](kinds(layout)):
            return layout
    return layouts[0] if want == "title" else layouts[min(1, len(layouts) - 1)]


def _clear_slides(prs: Presentation) -> None:
    """A user's template may hold example slides: the deck starts from its layouts and theme only."""
    ids = prs.slides._sldIdLst
    for slide_id in list(ids):
        prs.part.drop_rel(slide_id.rId)
        ids.remove(slide_id)


class Deck:
    """The slide builder of every ValueLens deck (QBR, case study): slides on the template's layouts, a content
    area below the title of the title-only layout, native charts and tables, East-Asian fonts for Chinese."""

    def __init__(self, lang: str, template: bytes | None = None, *, currency: str | None = None,
                 data: ExportData | None = None) -> None:
        self.data, self.lang = data, lang
        self.currency = currency if data is None else data.currency
        self.prs = Presentation(io.BytesIO(template) if template else str(TEMPLATE))
        _clear_slides(self.prs)
        self.width, self.height = self.prs.slide_width, self.prs.slide_height
        self._layouts: dict[str, SlideLayout] = {}
        title = next((p for p in self.layout("title_only").placeholders
                      if p.placeholder_format.type == PP_PLACEHOLDER.TITLE), None)
        margin = Inches(0.6)
        self.left = title.left if title is not None and title.left else margin
        self.top = (title.top + title.height + Inches(0.3)) if title is not None and title.height else Inches(1.5)
        self.content_width = self.width - 2 * self.left
        self.content_height = self.height - self.top - Inches(0.45)

    def t(self, key: str, **values: object) -> str:
        return text(self.lang, key, **values)

    def f(self, value: float | None, unit: str, signed: bool = False) -> str:
        return fmt(value, unit, self.lang, self.currency, signed)

    def title_slide(self, title: str, lines: list[str]) -> Slide:
        """The opening slide: a title and a few lines under it."""
        slide = self.prs.slides.add_slide(self.layout("title"))
        heading = slide.shapes.title  # found by walking the slide's shapes: once
        if heading is not None:
            heading.text = safe_cell_text(title)
            _style(heading.text_frame, self.lang)
        subtitle = next((p for p in slide.placeholders if p.placeholder_format.type == PP_PLACEHOLDER.SUBTITLE), None)
        if subtitle is not None:
            _fill(subtitle.text_frame, lines, self.lang, 20)
        else:
            self.textbox(slide, self.left, self.top + Inches(3), self.content_width, Inches(1.2), lines, 20)
        return slide

    def save(self, title: str) -> bytes:
        """The deck as .pptx bytes, with its document title."""
        self.prs.core_properties.title = safe_cell_text(title)
        self.prs.core_properties.author = "ValueLens"
        out = io.BytesIO()
        self.prs.save(out)
        return out.getvalue()

    def notes(self, slide: Slide, lines: list[str]) -> None:
        """Speaker notes: what the CSM says or checks before presenting, never on the customer's slide."""
        _fill(slide.notes_slide.notes_text_frame, lines, self.lang, 12)

    def number_slides(self) -> None:
        """A slide-number field at the bottom right of every slide but the first (PowerPoint keeps it current)."""
        for n, slide in enumerate(self.prs.slides, start=1):
            if n == 1:
                continue
            box = slide.shapes.add_textbox(self.width - self.left - Inches(1), self.height - Inches(0.45),
                                           Inches(1), Inches(0.35))
            paragraph = box.text_frame.paragraphs[0]
            paragraph.alignment = PP_ALIGN.RIGHT
            field = etree.SubElement(paragraph._p, qn("a:fld"))
            field.set("id", "{B6F15528-21DE-4FAA-801E-634DDDAF4B2B}")
            field.set("type", "slidenum")
            props = etree.SubElement(field, qn("a:rPr"))
            props.set("lang", "zh-CN" if self.lang == "zh" else "en-US")
            props.set("sz", "1000")
            etree.SubElement(field, qn("a:t")).text = str(n)

    def agenda(self, position: int = 1) -> None:
        """An agenda of the slides after `position`, with their numbers, inserted at `position`."""
        headings = [(n, s.shapes.title) for n, s in enumerate(self.prs.slides, start=2) if n > position + 1]
        titles = [(n, h.text) for n, h in headings if h is not None and not h.text.endswith(self.t("continued"))]
        slide = self.slide(self.t("deck_agenda"))
        self.textbox(slide, self.left, self.top, self.content_width, self.content_height,
                     [f"{n}    {title}" for n, title in titles], 18)
        ids = self.prs.slides._sldIdLst
        moved = ids[-1]
        ids.remove(moved)
        ids.insert(position, moved)

    def slide(self, title: str, layout: str = "title_only") -> Slide:
        slide = self.prs.slides.add_slide(self.layout(layout))
        heading = slide.shapes.title
        if heading is not None:
            heading.text = safe_cell_text(title)
            _style(heading.text_frame, self.lang)
        return slide

    def layout(self, want: str) -> SlideLayout:
        """_layout of this deck's template, found once per kind."""
        if want not in self._layouts:
            self._layouts[want] = _layout(self.prs, want)
        return self._layouts[want]

    def textbox(self, slide: Slide, left: int, top: int, width: int, height: int, lines: list[str],
                size: float = 16, bold: bool = False, color: MSO_THEME_COLOR | None = None,
                bullets: bool = False) -> TextFrame:
        """Lines of text in a box; the type shrinks (to MIN_FONT at least) until the lines fit the box."""
        lines = [("• " if bullets else "") + line for line in lines]
        size = _text_size(lines, width - 2 * Inches(0.1), height - 2 * Inches(0.05), size, SPACE_AFTER, bold)
        frame = slide.shapes.add_textbox(left, top, width, height).text_frame
        _fill(frame, lines, self.lang, size, bold, color)
        for paragraph in frame.paragraphs:
            paragraph.space_after = Pt(SPACE_AFTER)
        return frame

    def chart(self, slide: Slide, kind: XL_CHART_TYPE, categories: list[str], series: list[tuple[str, list]],
              box: tuple[int, int, int, int], number_format: str, legend: bool = False,
              labels: bool = False) -> Chart:
        """A native, editable chart; its embedded workbook keeps every label as text."""
        chart_data = SafeCategoryChartData(number_format=number_format)
        chart_data.categories = [safe_cell_text(c) for c in categories]
        for name, values in series:
            chart_data.add_series(safe_cell_text(name), values)
        chart = slide.shapes.add_chart(kind, *box, chart_data).chart
        chart.font.size = Pt(12)
        if self.lang == "zh" or any(_CJK.search(str(c)) for c in categories):
            _east_asian(chart.font._rPr)
        chart.has_legend = legend
        if legend:
            chart.legend.position, chart.legend.include_in_layout = XL_LEGEND_POSITION.BOTTOM, False
        if labels:
            plot = chart.plots[0]
            plot.has_data_labels = True
            plot.data_labels.number_format, plot.data_labels.number_format_is_linked = number_format, False
            plot.data_labels.font.size = Pt(11)
        return chart

    def table(self, slide: Slide, rows: list[list[str]], box: tuple[int, int, int, int], widths: list[float],
              size: float = 12, row_height: int = ROW_HEIGHT) -> None:
        """An editable table; the first row is the header; `widths` are fractions of the box width. The font
        shrinks (down to MIN_FONT) until every figure fits its column on one line and no header word breaks, so a
        narrow (4:3) template gets the same table in smaller type."""
        left, top, width, _ = box
        columns = [int(width * share) for share in widths]
        size = _fitting_size(rows, columns, size)
        # the table's XML is written whole and parsed once (see _table_xml); python-pptx makes the frame
        shape = slide.shapes.add_table(1, 1, left, top, width, row_height * len(rows))
        data = shape._element.graphic.graphicData
        data.remove(data.find(qn("a:tbl")))
        xml, laid_out = _table_xml(rows, columns, row_height, str(Pt(size).centipoints), self.lang)
        data.append(parse_xml(xml))
        grid = shape.table
        grid.notify_width_changed()
        for r, c, lines in laid_out:  # paragraphs and line breaks: python-pptx's setter lays them out
            tc = grid._tbl.tr_lst[r].tc_lst[c]
            _Cell(tc, grid).text = lines
            _style_runs(tc, self.lang, size, bold=r == 0)

    def paged_table(self, title: str, rows: list[list[str]], widths: list[float], size: float = 12,
                    row_height: int = ROW_HEIGHT, across: int = 1, continued: bool = False) -> None:
        """A table over as many slides as its rows need, `across` blocks side by side on a slide, each block with
        the header row; the title of every slide after the first (or of every slide, when the table `continued` an
        earlier slide) says so."""
        header, body = rows[0], rows[1:]
        per_block = self.rows_that_fit(self.top, row_height) - 1
        gap = Inches(0.3)
        width = (self.content_width - gap * (across - 1)) // across
        blocks = [body[i:i + per_block] for i in range(0, max(1, len(body)), per_block)]
        for page in range(0, len(blocks), across):
            slide = self.slide(f"{title} {self.t('continued')}" if page or continued else title)
            for i, block in enumerate(blocks[page:page + across]):
                self.table(slide, [header, *block], (self.left + i * (width + gap), self.top, width, 0), widths,
                           size, row_height)

    def rows_that_fit(self, top: int, row_height: int = ROW_HEIGHT) -> int:
        """How many table rows (the header included) fit between `top` and the bottom of the content area."""
        return max(2, int((self.top + self.content_height - top) // row_height))

    def card(self, slide: Slide, box: tuple[int, int, int, int], label: str, value: str) -> None:
        """A headline figure: big number over its label, on the theme's light background colour."""
        shape = slide.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, *box)
        shape.adjustments[0] = 0.08
        shape.fill.solid()
        shape.fill.fore_color.theme_color = MSO_THEME_COLOR.BACKGROUND_2
        shape.line.fill.background()
        frame = shape.text_frame
        frame.word_wrap, frame.vertical_anchor = True, MSO_ANCHOR.MIDDLE
        _fill(frame, [value, label], self.lang, 16)
        top, bottom = frame.paragraphs
        for paragraph in (top, bottom):
            paragraph.alignment = PP_ALIGN.CENTER
        room = box[2] - 2 * Inches(0.1)
        big = max(MIN_FONT, min(30.0, 30.0 * room / max(1, _text_width(value, 30.0 * 1.15))))  # bold is wider
        for run in top.runs:
            run.font.size, run.font.bold = Pt(int(big * 2) / 2), True
            run.font.color.theme_color = MSO_THEME_COLOR.ACCENT_1
        for run in bottom.runs:
            run.font.color.theme_color = MSO_THEME_COLOR.TEXT_1


# ------------------------------------------------------------------------------------------------ slides

def _title(deck: Deck) -> None:
    data = deck.data
    deck.title_slide(data.account.name, [f"{deck.t('deck_title')} · {data.period.label()}",
                                         deck.t("prepared", date=date.today().isoformat())])


def _headline(deck: Deck) -> str:
    """The summary slide's headline, chosen by the account's case (metrics.story): true in tense and claim."""
    data, story = deck.data, deck.data.story
    money, period = data.report.cost, data.period.label()
    hours = deck.f(money.hours_saved, "hours")
    fte = deck.f(money.fte_equivalent, "number")
    if story.case == "onboarding":
        active = deck.f(story.active_users or 0, "count")
        seats = data.account.seats
        return deck.t("story_onboarding", active=active, seats=deck.f(seats, "count")) if seats \
            else deck.t("story_onboarding_no_seats", active=active)
    if story.case == "declining":
        return deck.t("story_declining", change=deck.f(-story.usage_change, "fraction"), months=data.months)
    if story.case == "positive" and money.value is not None:
        if money.roi is not None:
            return deck.t("story_positive", value=deck.f(money.value, "currency"), period=period,
                          roi=deck.f(money.roi, "fraction", signed=True))
        return deck.t("story_positive_no_roi", value=deck.f(money.value, "currency"), period=period)
    return deck.t("story_hours", hours=hours, period=period, fte=fte)


def _efficiency_line(deck: Deck) -> str:
    eff = deck.data.report.efficiency
    if eff.delta is None:
        return deck.t("exec_eff_na", reason=reason(deck.lang, eff.reason))
    adjusted = deck.t("exec_eff_adjusted", adjusted=deck.f(eff.adjusted_delta, "fraction", signed=True)) \
        if eff.adjusted_delta is not None else ""
    return deck.t("exec_eff", delta=deck.f(eff.delta, "fraction", signed=True),
                  low=deck.f(eff.ci_low, "fraction", signed=True), high=deck.f(eff.ci_high, "fraction", signed=True),
                  adjusted=adjusted)


def _value_line(deck: Deck) -> str:
    money, period = deck.data.report.cost, deck.data.period.label()
    hours, fte = deck.f(money.hours_saved, "hours"), deck.f(money.fte_equivalent, "number")
    return deck.t("exec_value", value=deck.f(money.value, "currency"), period=period, hours=hours, fte=fte) \
        if money.value is not None else deck.t("exec_value_na", period=period, hours=hours, fte=fte)


def _since_line(deck: Deck) -> list[str]:
    """Value since go-live and against the months before the period, when both are measured."""
    data, story = deck.data, deck.data.story
    if story.cumulative_value is None or data.account.go_live_date is None:
        return []
    since = {"date": data.account.go_live_date.isoformat(), "cumulative": deck.f(story.cumulative_value, "currency")}
    if story.value_change is None:
        return [deck.t("story_since_only", **since)]
    return [deck.t("story_since", **since, change=deck.f(story.value_change, "fraction", signed=True),
                   months=data.months, previous=deck.f(story.previous_value, "currency"))]


def story_lines(deck: Deck) -> list[str]:
    """The summary slide's points for the account's case (metrics.story), in the order a CSM tells them."""
    data, story = deck.data, deck.data.story
    money, period, acc = data.report.cost, data.period.label(), data.account
    if story.case == "onboarding":
        live = acc.go_live_date
        lines = [deck.t("story_go_live_none") if live is None else
                 deck.t("story_go_live_later", date=live.isoformat()) if live >= data.period.end else
                 deck.t("story_go_live_done", date=live.isoformat(), min=MIN_ACTIVE_USERS),
                 deck.t("story_onboarding_use", active=deck.f(story.active_users or 0, "count"), period=period,
                        seats=deck.f(data.report.adoption.seat_utilization, "fraction"))]
        if money.hours_saved:
            lines.append(deck.t("story_onboarding_early", hours=deck.f(money.hours_saved, "hours"),
                                value=deck.f(money.value, "currency")))
        return [*lines, deck.t("story_onboarding_unlock")]
    if story.case == "declining":
        return [deck.t("story_declining_risk", before=deck.f(story.active_users_before, "count"),
                       now=deck.f(story.active_users, "count"),
                       change=deck.f(story.usage_change, "fraction", signed=True)),
                _value_line(deck), *_since_line(deck), _efficiency_line(deck), deck.t("story_declining_plan")]
    if story.case == "below_break_even":
        lines = [_efficiency_line(deck), _value_line(deck), *_since_line(deck),
                 deck.t("story_below_value", value=deck.f(money.value, "currency"), period=period,
                        share=deck.f(money.value / story.break_even_value, "fraction"),
                        break_even=deck.f(story.break_even_value, "currency"),
                        roi=deck.f(money.roi, "fraction", signed=True))]
        if story.value_gap is not None:
            gap, hours = deck.f(story.value_gap, "currency"), deck.f(story.hours_gap, "hours")
            lines.append(deck.t("story_path", gap=gap, hours=hours, n=TOP_GAPS,
                                upside=deck.f(story.upside_value, "currency"))
                         if story.upside_value is not None else deck.t("story_path_no_gaps", gap=gap, hours=hours))
        return lines
    lines = [_value_line(deck), *_since_line(deck)]
    if money.roi is not None and money.payback_months is not None:
        lines.append(deck.t("story_pace", payback=deck.f(money.payback_months, "months")))
    elif money.roi is None:
        lines.append(deck.t("story_no_contract") if not acc.annual_contract_value
                     else deck.t("exec_roi_na", reason=reason(deck.lang, money.reason)))
    return [*lines, _efficiency_line(deck)]


def _summary(deck: Deck) -> None:
    rep, story = deck.data.report, deck.data.story
    money, eff = rep.cost, rep.efficiency
    slide = deck.slide(deck.t("deck_exec"))
    deck.textbox(slide, deck.left, deck.top, deck.content_width, Inches(0.8), [_headline(deck)], 24, bold=True,
                 color=MSO_THEME_COLOR.ACCENT_1)
    gap = Inches(0.3)
    width = (deck.content_width - 2 * gap) // 3
    if story.case == "onboarding":
        cards = [("kpi_seat_utilization", deck.f(rep.adoption.seat_utilization, "fraction")),
                 ("active_users", deck.f(story.active_users or 0, "count")),
                 ("kpi_hours_saved", deck.f(money.hours_saved, "hours"))]
    else:
        first = ("kpi_hours_saved", deck.f(money.hours_saved, "hours")) \
            if story.case == "below_break_even" or money.value is None else \
            ("kpi_value", deck.f(money.value, "currency"))
        second = ("kpi_value", deck.f(money.value, "currency")) if first[0] == "kpi_hours_saved" and \
            money.value is not None else ("kpi_roi", deck.f(money.roi, "fraction", signed=True))
        cards = [first, ("kpi_efficiency_delta", deck.f(eff.delta, "fraction", signed=True)), second]
    top = deck.top + Inches(0.9)
    for i, (key, value) in enumerate(cards):
        deck.card(slide, (deck.left + i * (width + gap), top, width, Inches(1.3)), deck.t(key), value)
    below = top + Inches(1.6)
    deck.textbox(slide, deck.left, below, deck.content_width, deck.top + deck.content_height - below,
                 story_lines(deck), 16, bullets=True)
    deck.notes(slide, [deck.t(f"notes_{story.case}"), deck.t("notes_assumptions")])


def _objective_figure(deck: Deck, metric: str, value: float | None) -> str:
    return deck.f(value, OBJECTIVE_UNITS[metric], signed=metric.endswith("_delta"))


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
    rows = [[deck.t(k) for k in ("objective", "baseline_col", "now", "target_col", "target_date", "progress",
                                 "status")]]
    rows += [[deck.t(f"metric_{o.metric}"), _objective_figure(deck, o.metric, o.baseline),
              _objective_figure(deck, o.metric, o.current), _objective_figure(deck, o.metric, o.target),
              o.target_date.isoformat(), deck.f(o.progress, "fraction"), deck.t(f"status_{o.status}")]
             for o in rep.objectives]
    deck.table(slide, rows, (deck.left, deck.top + Inches(0.8), deck.content_width, 0),
               [0.26, 0.12, 0.12, 0.12, 0.14, 0.11, 0.13])


def _risks(deck: Deck) -> None:
    """Risks to watch (metrics.story) and what the account is asked for."""
    story = deck.data.story
    slide = deck.slide(deck.t("deck_risks"))
    lines = [risk_text(r.code, r.value, r.detail, deck.lang, deck.t) for r in story.risks]
    half = (deck.content_width - Inches(0.4)) // 2
    deck.textbox(slide, deck.left, deck.top, half, deck.content_height, lines or [deck.t("risk_none")], 16,
                 bullets=True)
    asks = ["ask_go_live"] if story.case == "onboarding" else ["ask_owner", "ask_data"]
    if story.case == "positive":
        asks.append("ask_reference")
    side = deck.left + half + Inches(0.4)
    deck.textbox(slide, side, deck.top, half, Inches(0.5), [deck.t("asks_title")], 18, bold=True,
                 color=MSO_THEME_COLOR.TEXT_2)
    deck.textbox(slide, side, deck.top + Inches(0.6), half, deck.content_height - Inches(0.6),
                 [deck.t(k) for k in asks], 16, bullets=True)


def _asked(deck: Deck) -> None:
    """What the customer asked for and what was shipped (metrics.requirements): one row per requirement (a request
    not grouped yet is its own row, in the customer's words), newest first; no slide without requests."""
    asked = deck.data.requests
    if asked is None or asked.empty:
        return
    rows = [[deck.t(k) for k in ("asked_what", "asked_on", "asked_status", "asked_version")]]
    seen: set[str] = set()
    for r in asked.itertuples(index=False):
        what = r.title if isinstance(r.title, str) else r.words
        if what in seen:
            continue
        seen.add(what)
        status = deck.t(f"req_status_{r.status}") if isinstance(r.status, str) else deck.t("asked_heard")
        version = (f"{r.shipped_version} ({pd.Timestamp(r.shipped_date).date().isoformat()})"
                   if isinstance(r.shipped_version, str) else r.target_version if isinstance(r.target_version, str)
                   else "")
        rows.append([what, pd.Timestamp(r.request_date).date().isoformat(), status, version])
    deck.paged_table(deck.t("deck_asked"), rows, [0.52, 0.14, 0.16, 0.18])


def _axis_title(deck: Deck, chart: Chart, title: str) -> None:
    """The value axis says what it counts."""
    chart.value_axis.has_title = True
    chart.value_axis.axis_title.text_frame.text = title
    _style(chart.value_axis.axis_title.text_frame, deck.lang, 11)


def _adoption(deck: Deck) -> None:
    data, use = deck.data, deck.data.report.adoption
    slide = deck.slide(deck.t("deck_adoption"))
    chart_width = int(deck.content_width * 0.66)
    categories = [f"{m:%Y-%m}" for m in data.mau["month"]]
    chart = deck.chart(slide, XL_CHART_TYPE.LINE_MARKERS, categories,
                       [(deck.t("active_users"), [int(v) for v in data.mau["active_users"]])],
                       (deck.left, deck.top, chart_width, deck.content_height), "#,##0")
    chart.has_title = True
    chart.chart_title.text_frame.text = deck.t("chart_mau")
    _style(chart.chart_title.text_frame, deck.lang, 14, bold=True)
    _axis_title(deck, chart, deck.t("active_users"))
    chart.plots[0].series[0].smooth = False
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
    data, eff = deck.data, deck.data.report.efficiency
    slide = deck.slide(deck.t("deck_efficiency"))
    usage = eff.basis.startswith("usage")
    column = "units_per_active_user" if usage else "output_per_person"
    rows = data.output[data.output["window"] != ""]
    chart_width = int(deck.content_width * 0.62)
    if len(rows) and eff.baseline is not None:
        def values(window: str) -> list[float | None]:
            return [float(v) if w == window and v == v else None for v, w in zip(rows[column], rows["window"])]

        chart = deck.chart(slide, XL_CHART_TYPE.COLUMN_CLUSTERED, [f"{m:%Y-%m}" for m in rows["month"]],
                           [(deck.t("baseline"), values("baseline")), (deck.t("current"), values("current"))],
                           (deck.left, deck.top, chart_width, deck.content_height), "#,##0.0", legend=True)
        chart.plots[0].overlap, chart.plots[0].gap_width = 100, 60
        chart.has_title = True
        # the gap between the two windows, in the title: the bars alone leave it to the eye
        change = f" · {deck.f(eff.baseline, 'number')} → {deck.f(eff.current, 'number')} " \
                 f"({deck.f(eff.delta, 'fraction', signed=True)})" if eff.delta is not None else ""
        chart.chart_title.text_frame.text = deck.t("chart_units" if usage else "chart_output") + change
        _style(chart.chart_title.text_frame, deck.lang, 14, bold=True)
        _axis_title(deck, chart, deck.t("units_per_active_user" if usage else "output_per_person"))
    lines = [deck.t("eff_points_basis", basis=deck.t("basis_usage" if usage else "basis_outcomes"))]
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
    slide = deck.slide(deck.t("deck_value"))
    rows = money.by_feature[:MAX_BARS]
    chart_width = int(deck.content_width * 0.66)
    priced = money.value is not None
    code = data.currency if data.currency and re.fullmatch(r"[A-Za-z]{3}", data.currency) else ""
    if rows:
        number_format = f'"{code} "#,##0' if priced and code else "#,##0.0"
        chart = deck.chart(slide, XL_CHART_TYPE.BAR_CLUSTERED, [r.feature for r in rows],
                           [(deck.t("value" if priced else "hours_saved"),
                             [r.value if priced else r.hours_saved for r in rows])],
                           (deck.left, deck.top, chart_width, deck.content_height), number_format, labels=True)
        chart.plots[0].gap_width = 50
        chart.category_axis.reverse_order = True  # largest on top, as listed
        chart.value_axis.visible = False
        chart.value_axis.has_major_gridlines = False
    else:
        deck.textbox(slide, deck.left, deck.top, chart_width, Inches(1), [deck.t("no_value_rows")], 18)
    lines = [deck.t("value_points", value=deck.f(money.value, "currency"), hours=deck.f(money.hours_saved,
                                                                                           "hours"),
                    fte=deck.f(money.fte_equivalent, "number")),
             f"{deck.t('hourly_cost')}: {deck.f(data.account.hourly_cost, 'currency')}",
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
        rows = [[deck.t(k) for k in ("feature", "adoption_rate", "peer_median", "non_adopters", "hours_left",
                                     "value_left")]]
        rows += [[i.feature, deck.f(i.adoption_rate, "fraction"), deck.f(i.peer_median, "fraction"),
                  deck.f(i.non_adopters, "count"), deck.f(i.hours_left, "hours"),
                  deck.f(i.value_left, "currency")] for i in items]
        deck.table(slide, rows, (deck.left, top, deck.content_width, 0), [0.26, 0.13, 0.13, 0.16, 0.14, 0.18])
        top += Inches(0.4) * len(rows) + Inches(0.4)
    def worth(items: tuple) -> str:
        priced = [i.value_left for i in items if i.value_left is not None]
        return deck.f(sum(priced), "currency") if len(priced) == len(items) else \
            deck.f(sum(i.hours_left or 0 for i in items), "hours")

    steps = [deck.t("step", feature=i.feature, users=deck.f(i.non_adopters, "count"), value=worth((i,)),
                    period=data.period.label()) for i in items]
    if rest:
        steps.append(deck.t("steps_more", n=len(rest), value=worth(rest)))
    steps.append(deck.t("step_generic"))
    deck.textbox(slide, deck.left, top, deck.content_width, Inches(0.5), [deck.t("next_steps")], 18, bold=True,
                 color=MSO_THEME_COLOR.TEXT_2)
    deck.textbox(slide, deck.left, top + Inches(0.5), deck.content_width,
                 deck.top + deck.content_height - top - Inches(0.5), steps, 16, bullets=True)


def _peers(deck: Deck) -> None:
    """Where the account stands among anonymous peers (metrics.benchmarks, the Benchmarks page's function)."""
    rows = peer_rows(deck.data, deck.lang)
    if not rows:
        return
    slide = deck.slide(deck.t("peers_title"))
    columns = ("figure", "own", "percentile", "median", "p25", "p75", "peers", "cohort")
    table = [[deck.t(f"peer_col_{c}") for c in columns]]
    for row in rows:
        shown = {k: deck.f(row[k], row["unit"], signed=row["metric"] == "efficiency_delta")
                 for k in ("own", "p25", "median", "p75")}
        table.append([row["figure"], shown["own"], deck.f(row["percentile"], "count"), shown["median"], shown["p25"],
                      shown["p75"], deck.f(row["peers"], "count"), row["cohort"]])
    deck.table(slide, table, (deck.left, deck.top, deck.content_width, 0),
               [0.22, 0.11, 0.09, 0.11, 0.11, 0.11, 0.07, 0.18])
    deck.textbox(slide, deck.left, deck.top + Inches(0.4) * len(table) + Inches(0.3), deck.content_width,
                 Inches(0.8), [deck.t("peers_note")], 12)


def _goals(deck: Deck) -> None:
    rep = deck.data.report
    slide = deck.slide(deck.t("deck_goals"))
    target, owner = deck.t("placeholder_target"), deck.t("placeholder_owner")
    rows = [[deck.t("goal"), deck.t("goal_metric"), deck.t("target"), deck.t("owner")]]
    for o in rep.objectives:  # the objectives still open come first, with their own target and owner
        if o.status in ("achieved", "missed"):
            continue
        rows.append([deck.t("goal_objective", metric=deck.t(f"metric_{o.metric}"),
                            target=_objective_figure(deck, o.metric, o.target), date=o.target_date.isoformat()),
                     f"{deck.t('now')}: {_objective_figure(deck, o.metric, o.current)}",
                     _objective_figure(deck, o.metric, o.target), o.owner or owner])
    for item in rep.adoption.underused_features[:2]:
        rows.append([deck.t("goal_adoption", feature=item.feature),
                     f"{deck.t('adoption_rate')}: {deck.f(item.adoption_rate, 'fraction')}", target, owner])
    money = rep.cost
    rows.append([deck.t("goal_value"), f"{deck.t('kpi_value')}: " + (deck.f(money.value, "currency")
                 if money.value is not None else deck.f(money.hours_saved, "hours")), target, owner])
    if rep.efficiency.delta is not None:
        rows.append([deck.t("goal_efficiency"),
                     f"{deck.t('delta')}: {deck.f(rep.efficiency.delta, 'fraction', signed=True)}", target,
                     owner])
    rows.append([deck.t("goal_seats"),
                 f"{deck.t('kpi_seat_utilization')}: {deck.f(rep.adoption.seat_utilization, 'fraction')}",
                 target, owner])
    rows.append([deck.t("placeholder_goal"), "", target, owner])
    deck.table(slide, rows, (deck.left, deck.top, deck.content_width, 0), [0.36, 0.3, 0.17, 0.17], size=14)


def _trainees(deck: Deck) -> None:
    """Appendix: who to invite to training for each underused feature, as the export was asked to show people
    (names, initials or pseudonyms); no slide otherwise."""
    lists = deck.data.trainees
    if not lists:
        return
    rows = [[deck.t("trainee_feature"), deck.t("trainee_person"), deck.t("trainee_days")]]
    rows += [[safe_cell_text(feature), safe_cell_text(person), str(days)]
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
                   [deck.t("hourly_cost"), deck.f(data.account.hourly_cost, "currency")],
                   [deck.t("hours_per_year"), deck.f(data.hours_per_year, "count")],
                   [deck.t("acv"), deck.f(data.account.annual_contract_value, "currency")]]
    unit = {"use": deck.t("basis_use"), "unit": deck.t("basis_unit")}
    assumptions += [[safe_cell_text(d.feature),
                     deck.t("minutes_per", minutes=f"{d.minutes_saved:g}", basis=unit.get(d.basis, d.basis))]
                    for d in data.drivers.itertuples(index=False)]
    slide = deck.slide(deck.t("deck_appendix"))
    tall = Inches(0.5)  # a formula wraps onto two lines
    deck.table(slide, formulas, (deck.left, deck.top, deck.content_width, 0), [0.3, 0.7], size=11,
               row_height=tall)
    deck.paged_table(deck.t("deck_appendix"), assumptions, [0.6, 0.4], size=11, row_height=Inches(0.3), across=2,
                     continued=True)
    rest = data.report.adoption.underused_features[TOP_GAPS:]
    if rest:  # the adoption gaps after the three the next-steps slide sizes
        rows = [[deck.t(k) for k in ("feature", "adoption_rate", "peer_median", "non_adopters", "hours_left",
                                     "value_left")]]
        rows += [[i.feature, deck.f(i.adoption_rate, "fraction"), deck.f(i.peer_median, "fraction"),
                  deck.f(i.non_adopters, "count"), deck.f(i.hours_left, "hours"), deck.f(i.value_left, "currency")]
                 for i in rest]
        deck.paged_table(deck.t("deck_more_gaps"), rows, [0.26, 0.13, 0.13, 0.16, 0.14, 0.18], size=12)


def build_pptx(data: ExportData, lang: str = "en", template: bytes | None = None) -> bytes:
    """The deck for already gathered figures, on `template` (.pptx bytes) or the default template."""
    deck = Deck(lang, template, data=data)
    for make in (_title, _summary, _results, _adoption, _efficiency, _value, _peers, _risks, _asked, _underused,
                 _goals, _appendix, _trainees):
        make(deck)
    deck.agenda()
    deck.number_slides()
    return deck.save(f"{text(lang, 'deck_title')}: {data.account.name}")


def qbr_deck_pptx(con: duckdb.DuckDBPyConnection, account_id: str, period: Period, lang: str = "en",
                  template: bytes | None = None, peers: pd.DataFrame | None = None,
                  people_as: str | None = None, inputs: PeriodInputs | None = None,
                  facts: StoreFacts | None = None) -> bytes:
    """One account's QBR deck for `period` as .pptx bytes; DataError for an unknown account. `people_as` (names,
    initials or pseudonyms) adds the training lists to the appendix; by default the deck names nobody. `peers`,
    `inputs` and `facts`: the period's peer figures and report inputs and the store's facts, when built once for many
    files (exports.data.gather)."""
    return build_pptx(gather(con, account_id, period, peers, people_as, inputs, facts), lang, template)
