"""A team's own deck template: tokens filled by unit in the deck's language keeping their run's look, charts and
tables in placeholder shapes at their position and size, repeated slides, the template's slides in its order; an
unknown or internal token refused with its slide; the file checked as an untrusted upload; kept with versions."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Inches, Pt

from exports.data import gather
from exports.deck import build_pptx, tokens
from exports.deck.fill import fill, problems
from metrics import deck_templates
from metrics.errors import DataError
from metrics.period import default_period
from metrics.store import connect
from wording.refusals import translated

SAMPLE = ROOT / "docs" / "sample_template.pptx"


@pytest.fixture()
def demo(demo_db):
    con = connect(demo_db)
    yield con
    con.close()


def texts(deck: bytes) -> list[list[str]]:
    """Each slide's texts: text boxes, then table cells."""
    out = []
    for slide in Presentation(io.BytesIO(deck)).slides:
        shown = [s.text_frame.text for s in slide.shapes if s.has_text_frame]
        shown += [c.text for s in slide.shapes if s.has_table for row in s.table.rows for c in row.cells]
        out.append(shown)
    return out


def template(*slides: list[str], split: bool = False) -> bytes:
    """A template of text-box slides, each line a box whose one run is Arial 20 pt teal (`split`: every token
    of the first slide written over three runs, as PowerPoint does after a spell check)."""
    prs = Presentation()
    for n, lines in enumerate(slides):
        slide = prs.slides.add_slide(prs.slide_layouts[6])
        for k, line in enumerate(lines):
            frame = slide.shapes.add_textbox(Inches(1), Inches(0.5 + 1.2 * k), Inches(8), Inches(1)).text_frame
            pieces = [line[:line.index("{{") + 3], line[line.index("{{") + 3:-4], line[-4:]] \
                if split and n == 0 and "{{" in line else [line]
            for piece in pieces:
                run = frame.paragraphs[0].add_run()
                run.text = piece
                run.font.name, run.font.size, run.font.color.rgb = "Arial", Pt(20), RGBColor(0x0F, 0x76, 0x6E)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_sample_template_is_filled_in_its_own_order_with_every_kind_of_token(demo, lang):
    data = gather(demo, "A001", default_period(demo))
    deck = build_pptx(data, lang, SAMPLE.read_bytes(), csm="Li Wei")
    shown = texts(deck)
    flat = "\n".join(t for slide in shown for t in slide)
    assert "{{" not in flat and "}}" not in flat  # every token filled or replaced
    values = tokens.values(data, lang, csm="Li Wei")
    assert shown[0][0] == data.account.name and values["period"] in shown[0][1] and "Li Wei" in shown[0][1]
    assert shown[1][0] == f"Value delivered: {values['cost.value']}"  # money compact, with its currency
    assert values["cost.roi"].endswith("%") and values["cost.roi"] in shown[1][1]
    # one slide per objective, in the objectives' order, then the rest of the template in its order
    objectives = tokens.EACH["objectives"][1](data, lang)
    assert len(objectives) == 3
    assert [s[0] for s in shown[3:6]] == [f"Objective: {o['metric']}" for o in objectives]
    assert f"Target {objectives[1]['target']} by {objectives[1]['target_date']}" in shown[4][1]
    underused = tokens.EACH["underused"][1](data, lang)
    assert [s[0] for s in shown[7:7 + len(underused)]] == [f"Room to grow: {u['feature']}" for u in underused]
    assert len(shown) == 7 + (len(objectives) - 1) + (len(underused) - 1)
    # placeholders: a native chart where {{chart:value}} stood, at its position and size; tables likewise
    prs = Presentation(io.BytesIO(deck))
    sample = Presentation(str(SAMPLE))
    source = next(s for s in sample.slides[1].shapes if s.text_frame.text == "{{chart:value}}")
    chart = next(s for s in prs.slides[1].shapes if s.has_chart)
    assert (chart.left, chart.top, chart.width, chart.height) == (source.left, source.top, source.width,
                                                                  source.height)
    asked = next(s for s in prs.slides[6].shapes if s.has_table)
    assert asked.left == Inches(0.6) and len(asked.table.rows) >= 2
    assert sum(1 for s in prs.slides[2].shapes if s.has_chart) == 2
    # every slide's notes say what the deck was built from
    assert all(s.has_notes_slide and s.notes_slide.notes_text_frame.text for s in prs.slides)


def test_a_token_keeps_its_runs_look_even_when_powerpoint_split_it_and_chinese_gets_an_east_asian_font(demo):
    data = gather(demo, "A001", default_period(demo))
    deck = fill(data, "zh", template(["ROI {{cost.roi}} for {{account_name}}!"], split=True))
    paragraph = Presentation(io.BytesIO(deck)).slides[0].shapes[0].text_frame.paragraphs[0]
    values = tokens.values(data, "zh")
    assert paragraph.text == f"ROI {values['cost.roi']} for {values['account_name']}!"
    for run in paragraph.runs:
        if run.text:
            assert (run.font.name, run.font.size, run.font.color.rgb) == ("Arial", Pt(20), RGBColor(0x0F, 0x76,
                                                                                                    0x6E))
    name_run = next(r for r in paragraph.runs if data.account.name in r.text)
    assert name_run._r.rPr.find("{http://schemas.openxmlformats.org/drawingml/2006/main}ea") is not None


def test_unknown_tokens_are_refused_with_their_slide_and_internal_ones_filled_only_when_internal(demo):
    data = gather(demo, "A001", default_period(demo))
    bad = template(["{{account_name}}"], ["{{cost.valeu}} and {{item.metric}}"],
                   ["{{each:objectives}}{{item.colour}}"], ["Health {{health.score}}"], ["{{chart:value}} here"])
    found = problems(bad)
    assert found == ["slide 2: unknown token {{cost.valeu}}",
                     "slide 2: {{item.metric}} outside a repeated slide (add {{each:NAME}} to it)",
                     "slide 3: unknown field {{item.colour}} of objectives (fields: metric, baseline, current, "
                     "target, target_date, progress, status, owner, note)",
                     "slide 4: {{health.score}} is the CSM's figure, filled only in an internal export (--internal)",
                     "slide 5: {{chart:value}} must be the only text of its shape"]
    with pytest.raises(DataError) as refused:
        fill(data, "en", bad)
    assert str(refused.value).startswith("template: slide 2: unknown token {{cost.valeu}}; ")
    assert translated(str(refused.value)).startswith("template：第 2 页：未知的标记 {{cost.valeu}}；")
    grouped = Presentation(io.BytesIO(template(["x"])))  # a chart token inside a group: nothing there to replace
    group = grouped.slides[0].shapes.add_group_shape()
    group.shapes.add_textbox(Inches(1), Inches(1), Inches(4), Inches(3)).text_frame.text = "{{chart:value}}"
    out = io.BytesIO()
    grouped.save(out)
    assert problems(out.getvalue()) == ["slide 1: {{chart:value}} must be the only text of its shape"]
    internal = template(["Health {{health.score}} · stage {{lifecycle.stage}}"])
    with pytest.raises(DataError, match="the CSM's figure"):
        fill(data, "en", internal)
    filled = texts(fill(data, "zh", internal, internal=True))[0][0]
    assert filled == f"Health {tokens.values(data, 'zh', internal=True)['health.score']} · stage " \
                     f"{tokens.values(data, 'zh', internal=True)['lifecycle.stage']}"
    assert "health.score" not in tokens.values(data, "en")  # the customer's deck has no such value at all


def test_a_repeated_slide_without_items_is_left_out_and_a_template_without_slides_keeps_the_built_in_deck(demo):
    period = default_period(demo)
    quiet = next(a for a in ("A037", "A038", "A039", "A040")
                 if not gather(demo, a, period).report.objectives)
    data = gather(demo, quiet, period)
    deck = fill(data, "en", template(["Cover {{account_id}}"], ["{{each:objectives}}{{item.metric}}"], ["End"]))
    assert texts(deck) == [[f"Cover {quiet}"], ["End"]]
    bare = Presentation()
    out = io.BytesIO()
    bare.save(out)
    built_in = Presentation(io.BytesIO(build_pptx(data, "en", out.getvalue())))
    assert len(built_in.slides) > 3  # the built-in deck on the template's layouts


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in members.items():
            z.writestr(name, body)
    return out.getvalue()


def _with(member: str, body: bytes, base: bytes | None = None) -> bytes:
    base = base or template(["{{account_name}}"])
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}
    members[member] = body
    return _zip(members)


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
          b'<p:sld xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main">&b;</p:sld>')


@pytest.mark.parametrize("name,content,reason", [
    ("not a zip", b"%PDF-1.4 not a deck", "not a PowerPoint file (.pptx): it cannot be opened as one"),
    ("a workbook", _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}),
     "not a PowerPoint file (.pptx): no presentation inside"),
    ("macros", _with("ppt/vbaProject.bin", b"\x00" * 64),
     "holds macros or ActiveX controls (ppt/vbaProject.bin); save it as a .pptx without macros"),
    ("billion laughs", _with("ppt/slides/slide1.xml", LAUGHS),
     "ppt/slides/slide1.xml declares a DTD or entities, which a deck never needs; refused"),
    ("broken xml", _with("ppt/slides/slide1.xml", b"<p:sld><unclosed>"),
     "ppt/slides/slide1.xml is not well-formed XML"),
    ("zip bomb", _with("ppt/media/padding.xml", b" " * (40 << 20)), "unpacks to more than 100 times the size"),
])
def test_a_hostile_template_is_refused_with_one_message_and_nothing_kept(demo_db, tmp_path, name, content, reason):
    con = connect(demo_db)
    try:
        before = deck_templates.versions(con)
        with pytest.raises(DataError) as refused:
            deck_templates.save(con, content, name="team.pptx", user="ops")
        assert str(refused.value).startswith("team.pptx: ") and reason in str(refused.value)
        assert translated(str(refused.value)) is not None  # the same refusal in Chinese
        assert len(deck_templates.versions(con)) == len(before)
    finally:
        con.close()


def test_templates_are_kept_with_versions_and_the_cli_lists_fills_and_refuses(demo_db, tmp_path):
    con = connect(demo_db)
    first = deck_templates.save(con, template(["v1 {{account_name}}"]), name="team.pptx", user="ops")
    second = deck_templates.save(con, SAMPLE.read_bytes(), name="sample.pptx", user="ops")
    assert second == first + 1 and deck_templates.latest(con).name == "sample.pptx"
    assert deck_templates.latest(con, first).content == template(["v1 {{account_name}}"])
    con.close()
    run = [sys.executable, str(ROOT / "cli.py")]
    listed = json.loads(subprocess.run(run + ["export", "--list-placeholders"], capture_output=True, text=True,
                                       check=True).stdout)
    assert {"token": "{{cost.value}}", "internal": False, "unit": "currency"} in listed["tokens"]
    assert "{{chart:value}}" in listed["charts"] and "{{table:requests}}" in listed["tables"]
    assert "{{item.target}}" in listed["each"]["objectives"]
    out = tmp_path / "qbr.pptx"
    made = subprocess.run(run + ["export", "--account", "A001", "--format", "pptx", "--out", str(out), "--template",
                                 "stored", "--csm", "Li Wei", "--db", demo_db], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    assert "Li Wei" in texts(out.read_bytes())[0][1]
    bad = tmp_path / "bad.pptx"
    bad.write_bytes(template(["{{cost.valeu}}"]))
    refused = subprocess.run(run + ["export", "--all", "--format", "pptx", "--out", str(tmp_path / "all"),
                                    "--template", str(bad), "--db", demo_db], capture_output=True, text=True)
    assert refused.returncode == 2 and "bad.pptx: slide 1: unknown token {{cost.valeu}}" in refused.stderr
    assert not (tmp_path / "all").exists()  # refused before any file was built


def test_every_template_string_and_column_has_both_languages():
    from i18n import COLUMNS, STRINGS

    keys = [k for k in STRINGS["en"] if k.startswith(("deck_template", "page_deck_template", "export_template"))]
    assert len(keys) >= 15 and all(STRINGS["zh"].get(k) for k in keys)
    for column in ("size", "slide", "text", "charts", "tables", "token", "internal", "fields"):
        assert COLUMNS["en"][column] and COLUMNS["zh"][column]
    assert Path(ROOT / "docs" / "deck_template.md").exists()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_previews_the_kept_template_filled_for_one_account(tmp_path, monkeypatch, lang):
    from conftest import run_page

    from i18n import STRINGS
    from metrics.demo import load_demo

    db = str(tmp_path / "page.duckdb")
    con = connect(db)
    load_demo(con)
    deck_templates.save(con, SAMPLE.read_bytes(), name="sample.pptx", user="ops")
    con.close()
    at = run_page(db, monkeypatch, "views/deck_template.py", lang)
    assert not at.exception and at.title[0].value == STRINGS[lang]["page_deck_template"]
    assert any(STRINGS[lang]["deck_template_current"].format(version=1, name="sample.pptx") == m.value
               for m in at.markdown)
    outline = next(d.value for d in at.dataframe if "slide" in d.value.columns)
    first = outline.iloc[0]["text"]
    account = at.selectbox[0].value
    names = dict(zip(*zip(*connect(db).execute("SELECT account_id, account_name FROM account").fetchall())))
    assert first.startswith(names[account]) and "{{" not in " ".join(outline["text"])
    assert outline["charts"].sum() == 4 and outline["tables"].sum() == 2  # the sample's placeholders


def test_the_batch_fills_the_template_for_every_account_listed(demo):
    from exports import batch

    period = default_period(demo)
    chosen = ["A001", "A002", "A037"]
    archive = zipfile.ZipFile(io.BytesIO(batch.zip_all(demo, period, "pptx", lang="zh", account_ids=chosen,
                                                       template=SAMPLE.read_bytes(), csm="Li Wei")))
    names = dict(demo.execute("SELECT account_id, account_name FROM account").fetchall())
    for member in archive.namelist():
        account = member.split("_")[0]
        first = texts(archive.read(member))[0]
        assert first[0] == names[account] and "Li Wei" in first[1]
    assert sorted(m.split("_")[0] for m in archive.namelist()) == chosen


def test_a_slide_left_out_before_repeated_ones_leaves_no_two_parts_of_one_name(demo):
    """python-pptx names a new slide by the count of slides: after a slide is left out, the next copy took a name
    still in use and the file held two parts of one name (PowerPoint calls it damaged)."""
    import warnings

    period = default_period(demo)
    quiet = next(a for a in ("A037", "A038", "A039", "A040") if not gather(demo, a, period).report.objectives)
    data = gather(demo, quiet, period)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # zipfile warns of a duplicate name
        deck = fill(data, "en", template(["Cover"], ["{{each:objectives}}{{item.metric}}"],
                                         ["{{each:features}}{{item.feature}}"], ["End"]))
    names = zipfile.ZipFile(io.BytesIO(deck)).namelist()
    assert len(names) == len(set(names))
    features = tokens.EACH["features"][1](data, "en")
    assert texts(deck) == [["Cover"], *[[f["feature"]] for f in features], ["End"]]
    assert all(s.has_notes_slide for s in Presentation(io.BytesIO(deck)).slides)
