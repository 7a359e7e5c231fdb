"""A team's own deck template, filled for one account: its slides in its order are the deck.

Text tokens (`{{cost.value}}`, exports.deck.tokens) are replaced where they stand, keeping the run's font and colour
(a token PowerPoint split over several runs takes the first run's look); a shape holding only `{{chart:NAME}}` or
`{{table:NAME}}` becomes that native chart or table at its position and size (exports.deck.parts); a slide holding
`{{each:NAME}}` is repeated once per item, its `{{item.FIELD}}` tokens filled from the item, and left out when
there is none. The template is checked as an upload first (metrics.deck_templates), and every token is checked
before anything is filled: an unknown one is refused with its name and slide number.

The approach follows python-pptx's documented object model (https://python-pptx.readthedocs.io: shapes, text
frames, runs, tables, group shapes); a slide is repeated by copying its shape tree and relationships, as
python-pptx has no slide-copy call (its issue #132)."""
from __future__ import annotations

import copy
import hashlib
import io
from collections.abc import Callable, Iterator
from functools import lru_cache

from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.oxml.ns import qn
from pptx.slide import Slide
from pptx.util import Inches

from exports.data import ExportData, version_line
from exports.deck import tokens
from exports.deck.builder import _CJK, ROW_HEIGHT, Deck, _east_asian
from exports.deck.parts import CHARTS, TABLES
from metrics.deck_templates import check
from metrics.errors import DataError

_RELATION_ATTRS = (qn("r:embed"), qn("r:id"), qn("r:link"), qn("r:pict"))


def has_slides(template: bytes) -> bool:
    """True when a template holds slides of its own (filled); one without lends the built-in deck its layouts."""
    return _read(template)[0] > 0


def _read(template: bytes, name: str = "template.pptx",
          internal: bool = False) -> tuple[int, tuple[str, ...], tuple[str, ...]]:
    """The template checked as an upload, its slide count, every token problem and every token it names: once per
    distinct file (a batch of 2,000 decks reads its template's tokens once per process, not once per deck)."""
    return _read_once(hashlib.sha256(template).hexdigest(), template, name, internal)


@lru_cache(maxsize=16)
def _read_once(digest: str, template: bytes, name: str,
               internal: bool) -> tuple[int, tuple[str, ...], tuple[str, ...]]:
    check(template, name)
    prs = Presentation(io.BytesIO(template))
    return len(prs.slides), tuple(_problems(prs, internal)), tuple(n for slide in prs.slides for n in _names(slide))


# ---------------------------------------------------------------- walking a slide's text

def _frames(shapes) -> Iterator[object]:
    """Every text frame of these shapes: text boxes, placeholders, table cells, shapes inside groups."""
    for shape in shapes:
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            yield from _frames(shape.shapes)
        elif getattr(shape, "has_table", False) and shape.has_table:
            for row in shape.table.rows:
                for cell in row.cells:
                    yield cell.text_frame
        elif shape.has_text_frame:
            yield shape.text_frame


def _slide_frames(slide: Slide) -> Iterator[object]:
    yield from _frames(slide.shapes)
    if slide.has_notes_slide:
        yield slide.notes_slide.notes_text_frame


def _names(slide: Slide) -> list[str]:
    return [m.group(1) for frame in _slide_frames(slide) for m in tokens.TOKEN.finditer(frame.text)]


def names_in(template: bytes, name: str = "template.pptx") -> list[str]:
    """Every token the template's slides name, in order (the file checked first)."""
    return list(_read(template, name)[2])


def _replace(frame, resolve: Callable[[str], str | None]) -> None:
    """Replace the tokens of each paragraph that `resolve` knows (None: leave it); the value takes the look of the
    run the token starts in."""
    for paragraph in frame.paragraphs:
        runs = list(paragraph.runs)
        texts = [r.text for r in runs]
        whole = "".join(texts)
        if "{{" not in whole:
            continue
        spans, at = [], 0  # each run's start and end offsets in the paragraph, as it was
        for t in texts:
            spans.append((at, at + len(t)))
            at += len(t)
        starts = [a for a, _ in spans]
        for match in reversed(list(tokens.TOKEN.finditer(whole))):
            value = resolve(match.group(1))
            if value is None:
                continue
            s, e = match.span()
            i = next(k for k, (a, b) in enumerate(spans) if a <= s < b)
            j = next(k for k, (a, b) in enumerate(spans) if a < e <= b)
            tail = texts[j][e - starts[j]:]
            texts[i] = texts[i][:s - starts[i]] + value + (tail if i == j else "")
            if i != j:
                texts[j] = tail
                for k in range(i + 1, j):
                    texts[k] = ""
            if _CJK.search(value):
                _east_asian(runs[i]._r.get_or_add_rPr())
        for run, t in zip(runs, texts):
            if run.text != t:
                run.text = t


# ---------------------------------------------------------------- checking every token first

def problems(template: bytes, name: str = "template.pptx", *, internal: bool = False) -> list[str]:
    """Every token of the template that cannot be filled, with its slide number (empty when all can); DataError
    when the file itself is refused (metrics.deck_templates.check)."""
    return list(_read(template, name, internal)[1])


def require_fillable(template: bytes, name: str = "template.pptx", *, internal: bool = False,
                     label: str | None = None) -> None:
    """DataError naming every token of the template that cannot be filled, each with its slide, after `label` (the
    file's name unless given); the file itself refused as problems says."""
    found = problems(template, name, internal=internal)
    if found:
        raise DataError(f"{label or name}: " + "; ".join(found))


def _problems(prs, internal: bool) -> list[str]:
    known = set(tokens.PATHS)
    out: list[str] = []
    for n, slide in enumerate(prs.slides, start=1):
        names = _names(slide)
        each = [x.split(":", 1)[1].strip() for x in names if x.startswith("each:")]
        if len(each) > 1:
            out.append(f"slide {n}: repeats over more than one collection ({', '.join(each)})")
        fields = tokens.EACH[each[0]][0] if each and each[0] in tokens.EACH else ()
        for name in names:
            kind, _, rest = name.partition(":")
            if name in known:
                if name.startswith(tokens.INTERNAL) and not internal:
                    out.append(f"slide {n}: {{{{{name}}}}} is the CSM's figure, filled only in an internal export "
                               "(--internal)")
            elif kind == "each" and rest.strip() in tokens.EACH:
                continue
            elif kind in ("chart", "table") and rest.strip() in (CHARTS if kind == "chart" else TABLES):
                continue
            elif name.startswith("item.") and each:
                if name[5:] not in fields:
                    out.append(f"slide {n}: unknown field {{{{{name}}}}} of {each[0]} "
                               f"(fields: {', '.join(fields)})")
            elif name.startswith("item."):
                out.append(f"slide {n}: {{{{{name}}}}} outside a repeated slide (add {{{{each:NAME}}}} to it)")
            else:
                out.append(f"slide {n}: unknown token {{{{{name}}}}}")
    for shape_problem in _placeholder_problems(prs):
        out.append(shape_problem)
    return out


def _placeholder_problems(prs) -> list[str]:
    """A chart or table token must be the only text of a shape of its own on the slide (not in a group, a table
    cell or the notes): that shape is what it replaces."""
    out = []
    for n, slide in enumerate(prs.slides, start=1):
        frames = [(shape.text_frame, True) for shape in slide.shapes
                  if shape.shape_type != MSO_SHAPE_TYPE.GROUP and shape.has_text_frame]
        frames += [(frame, False) for shape in slide.shapes if shape.shape_type == MSO_SHAPE_TYPE.GROUP
                   or getattr(shape, "has_table", False) and shape.has_table for frame in _frames([shape])]
        if slide.has_notes_slide:
            frames.append((slide.notes_slide.notes_text_frame, False))
        for frame, alone in frames:
            found = [m for m in tokens.TOKEN.finditer(frame.text) if m.group(1).startswith(("chart:", "table:"))]
            if found and (not alone or frame.text.strip() != found[0].group(0)):
                out.append(f"slide {n}: {found[0].group(0)} must be the only text of its shape")
    return out


# ---------------------------------------------------------------- repeating a slide

def _duplicate(prs, source: Slide) -> Slide:
    """A copy of `source` right after it: its shapes, background and relationships (pictures, links)."""
    new = prs.slides.add_slide(source.slide_layout)
    tree = new.shapes._spTree
    for element in list(tree)[2:]:  # the layout's placeholders: the copy brings its own shapes
        tree.remove(element)
    renamed = {}
    for rel in source.part.rels.values():
        if rel.reltype.endswith(("/slideLayout", "/notesSlide")):
            continue
        renamed[rel.rId] = (new.part.relate_to(rel.target_ref, rel.reltype, is_external=True) if rel.is_external
                            else new.part.relate_to(rel.target_part, rel.reltype))
    for element in list(source.shapes._spTree)[2:]:
        copied = copy.deepcopy(element)
        for node in copied.iter():
            for attr in _RELATION_ATTRS:
                if node.get(attr) in renamed:
                    node.set(attr, renamed[node.get(attr)])
        tree.append(copied)
    background = source._element.cSld.bg
    if background is not None:
        new._element.cSld.insert(0, copy.deepcopy(background))
    ids = prs.slides._sldIdLst
    moved = ids[-1]
    ids.remove(moved)
    ids.insert(list(prs.slides).index(source) + 1, moved)
    return new


def _drop(prs, slide: Slide) -> None:
    ids = prs.slides._sldIdLst
    for slide_id in list(ids):
        if prs.part.related_part(slide_id.rId) is slide.part:
            prs.part.drop_rel(slide_id.rId)
            ids.remove(slide_id)
    _renumber(prs)


def _renumber(prs) -> None:
    """Slide part names in deck order (slide1.xml, slide2.xml...): python-pptx names a new slide by the count of
    slides, so after one is left out the next would take a name still in use (two parts of one name: a broken
    file)."""
    prs.part.rename_slide_parts([slide_id.rId for slide_id in prs.slides._sldIdLst])


def _repeat(deck: Deck) -> None:
    """Every `{{each:NAME}}` slide once per item, each copy's `{{item.FIELD}}` filled; none: the slide goes."""
    prs = deck.prs
    for slide in list(prs.slides):
        each = next((x.split(":", 1)[1].strip() for x in _names(slide) if x.startswith("each:")), None)
        if each is None:
            continue
        items = tokens.EACH[each][1](deck.data, deck.lang)
        if not items:
            _drop(prs, slide)
            continue
        copies = [slide]
        for _ in items[1:]:
            copies.append(_duplicate(prs, copies[-1]))
        for target, item in zip(copies, items):
            for frame in _slide_frames(target):
                _replace(frame, lambda name, item=item: "" if name.startswith("each:")
                         else item.get(name[5:]) if name.startswith("item.") else None)


# ---------------------------------------------------------------- charts and tables in placeholder shapes

def _placeholders(deck: Deck) -> None:
    for slide in deck.prs.slides:
        for shape in list(slide.shapes):
            if not shape.has_text_frame:
                continue
            found = tokens.TOKEN.fullmatch(shape.text_frame.text.strip())
            if not found or not found.group(1).startswith(("chart:", "table:")):
                continue
            kind, name = (part.strip() for part in found.group(1).split(":", 1))
            box = (shape.left or 0, shape.top or 0, shape.width or Inches(4), shape.height or Inches(3))
            shape._element.getparent().remove(shape._element)
            if kind == "chart":
                drawn = CHARTS[name](deck, slide, box) is not None
            else:
                rows = TABLES[name](deck)
                fit = max(2, int(box[3] // ROW_HEIGHT))
                if len(rows) > fit:  # what does not fit the shape is counted, not cut silently
                    rows = rows[:fit - 1] + [[deck.t("template_more", n=len(rows) - fit + 1)]
                                             + [""] * (len(rows[0]) - 1)]
                drawn = len(rows) > 1
                if drawn:
                    deck.table(slide, rows, (box[0], box[1], box[2], 0), [1 / len(rows[0])] * len(rows[0]))
            if not drawn:
                deck.textbox(slide, box[0], box[1], box[2], min(box[3], Inches(0.8)), [deck.t("template_nothing")],
                             14)


def fill(data: ExportData, lang: str, template: bytes, *, internal: bool = False, csm: str = "") -> bytes:
    """The team's template filled for one account in `lang` as .pptx bytes; DataError listing every token that
    cannot be filled (with its slide), or why the file itself is refused."""
    require_fillable(template, internal=internal, label="template")
    deck = Deck(lang, template, data=data, keep_slides=True)
    _repeat(deck)
    known = tokens.values(data, lang, csm=csm, internal=internal)
    for slide in deck.prs.slides:
        for frame in _slide_frames(slide):
            _replace(frame, known.get)
    _placeholders(deck)
    _renumber(deck.prs)
    stamp = version_line(data, lang)
    deck.ensure_notes()
    for slide in deck.prs.slides:  # what the deck was built from, in every slide's notes (as the built-in deck)
        frame = slide.notes_slide.notes_text_frame
        deck.notes(slide, [p.text for p in frame.paragraphs if p.text] + [stamp])
    return deck.save(f"{deck.t('deck_title')}: {data.account.name}")
