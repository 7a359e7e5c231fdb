"""Regenerate qbr_template.pptx, the default QBR deck template: python-pptx's blank deck made 16:9, with a calm
blue theme, left-aligned titles under an accent rule, and Calibri / Microsoft YaHei as Latin / East-Asian fonts.

Run: python exports/templates/make_template.py
"""
from __future__ import annotations

import copy
from pathlib import Path

from lxml import etree
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

OUT = Path(__file__).resolve().parent / "qbr_template.pptx"
WIDTH, HEIGHT = Emu(12192000), Emu(6858000)  # 13.333 x 7.5 inches, PowerPoint's 16:9
COLORS = {"dk2": "1F3A5F", "lt2": "EEF2F7", "accent1": "2E6DB4", "accent2": "F28E2B", "accent3": "59A14F",
          "accent4": "E15759", "accent5": "76B7B2", "accent6": "EDC948"}
LATIN, EAST_ASIAN = "Calibri", "Microsoft YaHei"
TITLE_TOP, TITLE_HEIGHT = Inches(0.35), Inches(0.9)
MARGIN = Inches(0.6)


def _theme(prs: Presentation) -> None:
    """Colours and fonts of the theme part (python-pptx has no API for it, so its XML is edited)."""
    part = prs.slide_master.part.part_related_by(RT.THEME)
    root = etree.fromstring(part.blob)
    root.set("name", "ValueLens")
    scheme = root.find(f".//{qn('a:clrScheme')}")
    scheme.set("name", "ValueLens")
    for name, rgb in COLORS.items():
        slot = scheme.find(qn(f"a:{name}"))
        for child in list(slot):
            slot.remove(child)
        etree.SubElement(slot, qn("a:srgbClr"), val=rgb)
    fonts = root.find(f".//{qn('a:fontScheme')}")
    fonts.set("name", "ValueLens")
    for group in ("a:majorFont", "a:minorFont"):
        node = fonts.find(qn(group))
        node.find(qn("a:latin")).set("typeface", LATIN)
        node.find(qn("a:ea")).set("typeface", EAST_ASIAN)
        for script in node.findall(qn("a:font")):
            if script.get("script") == "Hans":
                script.set("typeface", EAST_ASIAN)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _text_styles(prs: Presentation) -> None:
    """Titles: left, 28 pt, dark blue. Body: 20/18/16 pt, dark grey."""
    styles = prs.slide_master._element.find(qn("p:txStyles"))
    title = styles.find(qn("p:titleStyle")).find(qn("a:lvl1pPr"))
    title.set("algn", "l")
    title_run = title.find(qn("a:defRPr"))
    title_run.set("sz", "2800")
    title_run.set("b", "1")
    title_run.find(qn("a:solidFill")).find(qn("a:schemeClr")).set("val", "tx2")
    body = styles.find(qn("p:bodyStyle"))
    for level, size in zip(range(1, 10), (2000, 1800, 1600, 1400, 1400, 1400, 1400, 1400, 1400)):
        props = body.find(qn(f"a:lvl{level}pPr"))
        run = props.find(qn("a:defRPr"))
        run.set("sz", str(size))
        fill = run.find(qn("a:solidFill"))
        for child in list(fill):
            fill.remove(child)
        etree.SubElement(fill, qn("a:srgbClr"), val="333F4F")


def _stretch(shapes, factor: float) -> None:
    """Placeholders were laid out for a 10-inch-wide slide: widen them to 13.333 inches."""
    for shape in shapes:
        if shape._element.xfrm is not None:  # placeholders without their own position inherit the master's
            shape.left, shape.width = Emu(int(shape.left * factor)), Emu(int(shape.width * factor))


def _place_titles(layout) -> None:
    for shape in layout.placeholders:
        kind = shape.placeholder_format.type
        # only the usual top title; caption and section layouts keep theirs
        full_width = shape._element.xfrm is not None and shape.width > Inches(10) and shape.top < Inches(1)
        if kind is not None and kind.name == "TITLE" and full_width:
            shape.left, shape.top, shape.width, shape.height = MARGIN, TITLE_TOP, WIDTH - 2 * MARGIN, TITLE_HEIGHT


def _accent_rule(prs: Presentation) -> None:
    """A thin accent line under every title, on the master (drawn on a scratch slide, then moved there)."""
    scratch = prs.slides.add_slide(prs.slide_layouts[6])
    rule = scratch.shapes.add_shape(MSO_SHAPE.RECTANGLE, MARGIN, TITLE_TOP + TITLE_HEIGHT + Inches(0.05),
                                    Inches(1.2), Inches(0.06))
    rule.fill.solid()
    rule.fill.fore_color.rgb = RGBColor.from_string(COLORS["accent1"])
    rule.line.fill.background()
    rule.name = "Accent rule"
    band = scratch.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, HEIGHT - Inches(0.12), WIDTH, Inches(0.12))
    band.fill.solid()
    band.fill.fore_color.rgb = RGBColor.from_string(COLORS["dk2"])
    band.line.fill.background()
    band.name = "Footer band"
    tree = prs.slide_master.shapes._spTree
    for shape in (rule, band):
        tree.append(copy.deepcopy(shape._element))
    slide_ids = prs.slides._sldIdLst
    rel_id = slide_ids[-1].rId
    prs.part.drop_rel(rel_id)
    slide_ids.remove(slide_ids[-1])


def _title_slide(prs: Presentation) -> None:
    """Title slide: title and subtitle left-aligned in the upper middle, subtitle in the accent colour."""
    layout = prs.slide_layouts[0]
    for shape in layout.placeholders:
        kind = shape.placeholder_format.type.name
        if kind == "CENTER_TITLE":
            shape.left, shape.top, shape.width, shape.height = Inches(0.9), Inches(2.2), Inches(11.5), Inches(1.6)
        elif kind == "SUBTITLE":
            shape.left, shape.top, shape.width, shape.height = Inches(0.9), Inches(3.9), Inches(11.5), Inches(1.4)
    for props in layout._element.iter(qn("a:lvl1pPr")):
        if props.get("algn") == "ctr":
            props.set("algn", "l")
    title = next(s for s in layout.placeholders if s.placeholder_format.type.name == "CENTER_TITLE")
    body = title.text_frame._txBody
    styles = body.find(qn("a:lstStyle"))
    if styles is None:
        styles = etree.Element(qn("a:lstStyle"))
        body.find(qn("a:bodyPr")).addnext(styles)
    level = etree.SubElement(styles, qn("a:lvl1pPr"), algn="l")
    etree.SubElement(level, qn("a:defRPr"), sz="4000", b="1")


def main() -> None:
    prs = Presentation()
    factor = WIDTH / prs.slide_width
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    _theme(prs)
    _text_styles(prs)
    _stretch(prs.slide_master.placeholders, factor)
    for layout in prs.slide_layouts:
        _stretch(layout.placeholders, factor)
        _place_titles(layout)
    for shape in prs.slide_master.placeholders:
        if shape.placeholder_format.type.name == "TITLE":
            shape.left, shape.top, shape.width, shape.height = MARGIN, TITLE_TOP, WIDTH - 2 * MARGIN, TITLE_HEIGHT
    _accent_rule(prs)
    _title_slide(prs)
    prs.core_properties.title = "ValueLens QBR template"
    prs.core_properties.author = "ValueLens"
    prs.save(OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
