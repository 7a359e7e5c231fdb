"""The slide builder every ValueLens deck (QBR, case study) is made with: template layouts, text that fits, native
charts and tables, East-Asian fonts for Chinese."""
from __future__ import annotations

import copy
import io
import re
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree
from pptx import Presentation
from pptx.chart.chart import Chart
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.dml import MSO_THEME_COLOR
from pptx.enum.shapes import MSO_SHAPE, PP_PLACEHOLDER
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.opc.constants import CONTENT_TYPE as CT
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.opc.packuri import PackURI
from pptx.oxml import parse_xml
from pptx.oxml.ns import nsdecls, qn
from pptx.oxml.text import CT_RegularTextRun
from pptx.parts.slide import NotesSlidePart
from pptx.slide import Slide, SlideLayout
from pptx.table import _Cell
from pptx.text.text import TextFrame
from pptx.util import Inches, Pt

from exports.data import ExportData
from exports.safety import SafeCategoryChartData, safe_cell_text
from exports.strings import fmt, text

TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "qbr_template.pptx"
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
                 data: ExportData | None = None, keep_slides: bool = False) -> None:
        self.data, self.lang = data, lang
        self.currency = currency if data is None else data.currency
        self.prs = Presentation(io.BytesIO(template) if template else str(TEMPLATE))
        if not keep_slides:  # a team's own template keeps its slides (exports.deck.fill)
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

    def f(self, value: float | None, unit: str, signed: bool = False, compact: bool = True) -> str:
        """A figure as the deck shows it: money in the one compact form of its language (no cents from 1,000;
        K/M in English, 万 in Chinese from 10,000) unless `compact` is off (an hourly cost keeps its cents)."""
        return fmt(value, unit, self.lang, self.currency, signed, compact)

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

    def ensure_notes(self) -> None:
        """A notes page for every slide that has none, all alike: python-pptx makes the first (cloning the notes
        master's placeholders, as PowerPoint does), the others are copies of it under their own part names, related
        both ways as python-pptx's NotesSlidePart.new relates them; its way for every slide cost 5 ms a slide, most
        of a long deck's time (it searches every part for a free name and the master for placeholders each time)."""
        missing = [slide for slide in self.prs.slides if not slide.has_notes_slide]
        if not missing:
            return
        missing[0].notes_slide  # noqa: B018 - made by python-pptx: the model of the others
        model = missing[0].part.part_related_by(RT.NOTES_SLIDE)
        package = self.prs.part.package
        used = {str(part.partname) for part in package.iter_parts()}
        number = 0
        for slide in missing[1:]:
            number += 1
            while f"/ppt/notesSlides/notesSlide{number}.xml" in used:
                number += 1
            part = NotesSlidePart(PackURI(f"/ppt/notesSlides/notesSlide{number}.xml"), CT.PML_NOTES_SLIDE, package,
                                  copy.deepcopy(model._element))
            part.relate_to(model.part_related_by(RT.NOTES_MASTER), RT.NOTES_MASTER)
            part.relate_to(slide.part, RT.SLIDE)
            slide.part.relate_to(part, RT.NOTES_SLIDE)

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

