"""WordprocessingML as Microsoft Word expects it: property children in schema order, once each.

python-docx and docxtpl append property elements where they find room, so a
paragraph's ``w:pBdr`` may follow its ``w:jc``, and setting a table's layout
twice leaves two ``w:tblLayout``. LibreOffice does not mind; Word may report
"unreadable content" and drop what it cannot place (the short lines, the page
number restart). :func:`tidy` puts the children of every ``w:pPr``, ``w:rPr``,
``w:tblPr``, ``w:tcPr`` and ``w:sectPr`` in the order of the ECMA-376 sequences
below and keeps the last of any element that may appear only once.

:func:`fit_rules` sizes the short lines of the official format to the text
above them, and :func:`stamp` writes the document's properties.
"""

from __future__ import annotations

from datetime import date, datetime, time

from docx.oxml.ns import qn

from .fit import text_width

__all__ = ["SEQUENCES", "REPEATABLE", "tidy", "out_of_order", "fit_rules", "stamp", "finish", "RULE_SHARE"]

# ECMA-376 Part 1 (transitional), §17.3.1.26 pPr, §17.3.2.28 rPr, §17.4.59 tblPr,
# §17.4.70 tcPr, §17.6.17 sectPr: the sequence of each element's children.
SEQUENCES: dict[str, tuple[str, ...]] = {
    "pPr": (
        "pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
        "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
        "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd",
        "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc",
        "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr",
        "sectPr", "pPrChange",
    ),
    "rPr": (
        "ins", "del", "moveFrom", "moveTo", "rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps",
        "smallCaps", "strike", "dstrike", "outline", "shadow", "emboss", "imprint", "noProof",
        "snapToGrid", "vanish", "webHidden", "color", "spacing", "w", "kern", "position", "sz", "szCs",
        "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs", "em", "lang",
        "eastAsianLayout", "specVanish", "oMath", "rPrChange",
    ),
    "tblPr": (
        "tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize", "tblStyleColBandSize",
        "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd", "tblLayout", "tblCellMar",
        "tblLook", "tblCaption", "tblDescription", "tblPrChange",
    ),
    "tcPr": (
        "cnfStyle", "tcW", "gridSpan", "hMerge", "vMerge", "tcBorders", "shd", "noWrap", "tcMar",
        "textDirection", "tcFitText", "vAlign", "hideMark", "headers", "cellIns", "cellDel", "cellMerge",
        "tcPrChange",
    ),
    "sectPr": (
        "headerReference", "footerReference", "footnotePr", "endnotePr", "type", "pgSz", "pgMar",
        "paperSrc", "pgBorders", "lnNumType", "pgNumType", "cols", "formProt", "vAlign", "noEndnote",
        "titlePg", "textDirection", "bidi", "rtlGutter", "docGrid", "printerSettings", "sectPrChange",
    ),
}  # fmt: skip
# Children that may appear more than once (one header and footer reference per page kind).
REPEATABLE = frozenset({"headerReference", "footerReference"})
# headerReference and footerReference form one choice group: either may come first.
_SAME_PLACE = {"footerReference": "headerReference"}
_W = qn("w:pPr")[: -len("pPr")]


def _local(element) -> str | None:
    tag = element.tag
    return tag[len(_W) :] if isinstance(tag, str) and tag.startswith(_W) else None


def _rank(sequence: tuple[str, ...], name: str | None) -> int:
    name = _SAME_PLACE.get(name or "", name)
    return sequence.index(name) if name in sequence else len(sequence)  # unknown: at the end


def tidy(root) -> int:
    """Order and deduplicate the property children under ``root``; returns how many elements
    were moved or dropped."""
    changed = 0
    for parent_name, sequence in SEQUENCES.items():
        for parent in root.iter(qn(f"w:{parent_name}")):
            children = list(parent)
            kept: dict[str | None, object] = {}
            for child in children:  # the last of a single element wins, as Word reads it
                name = _local(child)
                if name in sequence and name not in REPEATABLE:
                    kept[name] = child
            survivors = [c for c in children if kept.get(_local(c), c) is c]
            ordered = sorted(survivors, key=lambda c: _rank(sequence, _local(c)))  # stable
            if ordered != children:
                changed += len(children) - len(ordered) or 1
                for child in children:
                    parent.remove(child)
                parent.extend(ordered)
    return changed


def out_of_order(root) -> list[str]:
    """Every property element whose children break the schema sequence or repeat: empty when
    the document is as Word expects it."""
    problems = []
    for parent_name, sequence in SEQUENCES.items():
        for parent in root.iter(qn(f"w:{parent_name}")):
            names = [_local(c) for c in parent if _local(c) in sequence]
            ranks = [_rank(sequence, n) for n in names]
            if ranks != sorted(ranks):
                problems.append(f"{parent_name}: {names}")
            repeated = {str(n) for n in names if names.count(n) > 1 and n not in REPEATABLE}
            if repeated:
                problems.append(f"{parent_name}: {sorted(repeated)} twice")
    return problems


# --- the short lines ---------------------------------------------------------------------
RULE_SHARE = 0.42  # of the text line above: inside ND30's 1/3 to 1/2, with room for font metrics
BOLD = 1.04  # Times New Roman bold runs about 4 % wider than regular
MOTTO = "Độc lập - Tự do - Hạnh phúc"


def _text(element) -> str:
    return "".join(t.text or "" for t in element.iter(qn("w:t")))


def _rule_paragraphs(body):
    """(rule paragraph, the paragraph it underlines, the width it sits in, in twips)."""
    for paragraph in body.iter(qn("w:p")):
        ppr = paragraph.find(qn("w:pPr"))
        if ppr is None or ppr.find(qn("w:pBdr")) is None or _text(paragraph).strip():
            continue
        above = paragraph.getprevious()
        while above is not None and (above.tag != qn("w:p") or not _text(above).strip()):
            above = above.getprevious()
        if above is None:
            continue
        yield paragraph, above, _room(paragraph)


def _room(paragraph) -> int:
    cell = next((a for a in paragraph.iterancestors(qn("w:tc"))), None)
    if cell is not None:
        width = cell.find(f"{qn('w:tcPr')}/{qn('w:tcW')}")
        return int(width.get(qn("w:w")))
    section = next(
        (s for p in paragraph.itersiblings() if (s := p.find(f"{qn('w:pPr')}/{qn('w:sectPr')}")) is not None), None
    )
    if section is None:
        section = paragraph.getparent().find(qn("w:sectPr"))
    size, margin = section.find(qn("w:pgSz")), section.find(qn("w:pgMar"))
    return int(size.get(qn("w:w"))) - int(margin.get(qn("w:left"))) - int(margin.get(qn("w:right")))


def _line_length(paragraph, room: int) -> float:
    """The length of the longest line of ``paragraph``'s text (twips), wrapped at ``room``."""
    runs = list(paragraph.iter(qn("w:r")))
    text = _text(paragraph)
    size_half_points = 28
    bold = False
    for r in runs:
        rpr = r.find(qn("w:rPr"))
        if rpr is not None and _text(r).strip():
            if rpr.find(qn("w:sz")) is not None:
                size_half_points = int(rpr.find(qn("w:sz")).get(qn("w:val")))
            bold = rpr.find(qn("w:b")) is not None
            break
    twips_per_em = size_half_points * 10 * (BOLD if bold else 1.0)
    longest, used = 0.0, 0.0
    space = text_width(" ") * twips_per_em
    for word in text.split():
        width = text_width(word) * twips_per_em
        if used and used + space + width > room:
            longest, used = max(longest, used), 0.0
        used = width if not used else used + space + width
    return min(max(longest, used), room)


def fit_rules(body) -> int:
    """Make every short line (an empty paragraph with a bottom border) as long as
    :data:`RULE_SHARE` of the text line above it, centred; returns how many were set."""
    count = 0
    for rule, above, room in list(_rule_paragraphs(body)):
        motto = _text(above).strip() == MOTTO  # the motto's line is as long as the motto
        length = _line_length(above, room) * (1.0 if motto else RULE_SHARE)
        side = max(0, int((room - length) / 2))
        ppr = rule.find(qn("w:pPr"))
        ind = ppr.find(qn("w:ind"))
        if ind is None:
            ind = ppr.makeelement(qn("w:ind"), {})
            ppr.append(ind)
        for key in ("w:start", "w:end"):  # the newer names of left and right, when present
            ind.attrib.pop(qn(key), None)
        ind.set(qn("w:left"), str(side))
        ind.set(qn("w:right"), str(side))
        count += 1
    return count


def rule_share(rule, above) -> float:
    """The length of a short line as a share of the text line above it (for tests)."""
    room = _room(rule)
    ind = rule.find(f"{qn('w:pPr')}/{qn('w:ind')}")
    length = room - int(ind.get(qn("w:left"))) - int(ind.get(qn("w:right")))
    return length / _line_length(above, room)


def finish(document, *, author: str, title: str, day: date) -> None:
    """Make a python-docx document as Word expects it: the short lines fitted to their texts,
    every part (body, styles, headers, footers) in schema order, and its properties stamped."""
    fit_rules(document.element.body)
    for part in document.part.package.iter_parts():
        if hasattr(part, "element"):
            tidy(part.element)
    stamp(document, author=author, title=title, day=day)


# --- document properties -----------------------------------------------------------------
LANGUAGE = "vi-VN"


def stamp(document, *, author: str, title: str, day: date, subject: str = "") -> None:
    """Core properties of a report: written by the agency on the report date, in Vietnamese;
    the default language of its text is Vietnamese too."""
    props = document.core_properties
    moment = datetime.combine(day, time(8, 0))
    props.author = author
    props.last_modified_by = author
    props.title = title
    props.subject = subject
    props.language = LANGUAGE
    props.created = moment
    props.modified = moment
    props.revision = 1
    props.comments = ""
    props.keywords = ""
    props.category = ""
    for lang in document.styles.element.iter(qn("w:lang")):
        lang.set(qn("w:val"), LANGUAGE)
        lang.set(qn("w:eastAsia"), LANGUAGE)
