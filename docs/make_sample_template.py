"""Writes docs/sample_template.pptx: a team's own QBR deck template using every kind of token ValueLens fills
(docs/deck_template.md). Run `python docs/make_sample_template.py`; the file is the same on every run but for its
zip times."""
from __future__ import annotations

from pathlib import Path

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Inches, Pt

OUT = Path(__file__).resolve().parent / "sample_template.pptx"
NAVY, TEAL = RGBColor(0x1F, 0x3A, 0x5F), RGBColor(0x0F, 0x76, 0x6E)


def box(slide, left, top, width, height, lines, size=18, color=NAVY, bold=False):
    """A text box of lines, each one run in the team's font and colour."""
    frame = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height)).text_frame
    frame.word_wrap = True
    for n, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if n == 0 else frame.add_paragraph()
        run = paragraph.add_run()
        run.text = line
        run.font.size, run.font.bold, run.font.color.rgb, run.font.name = Pt(size), bold, color, "Arial"
    return frame


def main() -> None:
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    blank = prs.slide_layouts[6]

    s = prs.slides.add_slide(blank)  # 1: the cover
    box(s, 0.8, 2.2, 11.5, 1.2, ["{{account_name}}"], 40, NAVY, True)
    box(s, 0.8, 3.5, 11.5, 1.5, ["Quarterly business review · {{period}}", "Prepared by {{csm}} on {{today}}"], 20,
        TEAL)

    s = prs.slides.add_slide(blank)  # 2: value, with the value chart in a placeholder shape
    box(s, 0.6, 0.4, 12, 0.8, ["Value delivered: {{cost.value}}"], 30, NAVY, True)
    box(s, 0.6, 1.4, 4.2, 5, ["{{cost.hours_saved}} saved this period", "Return on the contract: {{cost.roi}}",
                              "Pays back in {{cost.payback_months}} months",
                              "Business case realized: {{projection.realized_share}}"], 18)
    box(s, 5.0, 1.4, 7.8, 5.5, ["{{chart:value}}"], 12)

    s = prs.slides.add_slide(blank)  # 3: adoption and efficiency, two charts side by side
    box(s, 0.6, 0.4, 12, 0.8, ["Adoption and efficiency"], 30, NAVY, True)
    box(s, 0.6, 1.3, 12, 0.6, ["Key features used by {{adoption.key_feature_adoption}} of active users; seats in "
                               "use {{adoption.seat_utilization}}; efficiency {{efficiency.delta}}"], 16, TEAL)
    box(s, 0.6, 2.0, 6.0, 5.0, ["{{chart:adoption}}"], 12)
    box(s, 6.8, 2.0, 6.0, 5.0, ["{{chart:efficiency}}"], 12)

    s = prs.slides.add_slide(blank)  # 4: one slide per objective
    box(s, 0.6, 0.4, 12, 0.8, ["{{each:objectives}}Objective: {{item.metric}}"], 30, NAVY, True)
    box(s, 0.6, 1.6, 12, 4, ["Baseline {{item.baseline}} → now {{item.current}}",
                             "Target {{item.target}} by {{item.target_date}}",
                             "Progress {{item.progress}} · {{item.status}}", "Owner: {{item.owner}}"], 22)

    s = prs.slides.add_slide(blank)  # 5: what was asked, as a table
    box(s, 0.6, 0.4, 12, 0.8, ["What you asked for"], 30, NAVY, True)
    box(s, 0.6, 1.4, 12.1, 5.6, ["{{table:requests}}"], 12)

    s = prs.slides.add_slide(blank)  # 6: room to grow, one slide per underused feature
    box(s, 0.6, 0.4, 12, 0.8, ["{{each:underused}}Room to grow: {{item.feature}}"], 30, NAVY, True)
    box(s, 0.6, 1.6, 12, 3, ["Used by {{item.adoption_rate}} of your users; peers: {{item.peer_median}}",
                             "{{item.non_adopters}} people have not tried it yet: {{item.value_left}} a quarter"],
        22)

    s = prs.slides.add_slide(blank)  # 7: the business case and the objectives' table
    box(s, 0.6, 0.4, 12, 0.8, ["Against the business case"], 30, NAVY, True)
    box(s, 0.6, 1.4, 6.2, 5.6, ["{{chart:business_case}}"], 12)
    box(s, 7.0, 1.4, 5.8, 5.6, ["{{table:objectives}}"], 12)
    prs.save(OUT)


if __name__ == "__main__":
    main()
