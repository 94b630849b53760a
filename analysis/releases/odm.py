"""CDISC ODM 1.3.2 export of a release (metadata and clinical data), written with lxml.

MetaDataVersion: one StudyEventDef per protocol visit (plus ``SE.SUBJECT`` for the identity
and flow columns), one FormDef and ItemGroupDef per form, an ItemDef per item with its
DataType and, for coded items, a CodeList. ClinicalData: one SubjectData per participant of
the wide frame. The metadata is built with lxml; the subjects are streamed as text a few
thousand at a time, each item's ``ItemData`` formatted column by column (no element per
value).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
from lxml import etree

from analysis.releases.frames import SUBJECT_FORM, ReleaseFrames, Variable
from trial.protocol import Protocol

NS = "http://www.cdisc.org/ns/odm/v1.3"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DATA_TYPES = {"float": "float", "str": "text", "bool": "integer", "list": "text"}


def _e(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _sub(parent: Any, tag: str, **attrib: str) -> Any:
    return etree.SubElement(parent, _e(tag), attrib)


def _text(parent: Any, tag: str, text: str) -> None:
    node = _sub(parent, tag)
    _sub(node, "TranslatedText", **{XML_LANG: "en"}).text = text


def oid(*parts: str) -> str:
    """Return an ODM OID such as ``IT.BASELINE.SEX``."""
    return ".".join(p.upper().replace("-", "_") for p in parts)


def _structure(release: ReleaseFrames, protocol: Protocol) -> list[tuple[str, str, list[str]]]:
    """Return the study events as (event code, name, [form codes]) in protocol order."""
    forms = {v.form for v in release.variables_of("wide")}
    events = [(SUBJECT_FORM, "Subject", [SUBJECT_FORM])] if SUBJECT_FORM in forms else []
    for visit in protocol.visits:
        present = [f for f in visit.forms if f in forms]
        if present:
            events.append((visit.code, visit.label.en, present))
    return events


def _items(release: ReleaseFrames) -> dict[str, dict[str, Variable]]:
    """Return form code -> {item name -> variable} (one variable per item)."""
    out: dict[str, dict[str, Variable]] = {}
    for var in release.variables_of("wide"):
        out.setdefault(var.form, {}).setdefault(var.item, var)
    return out


def _form_names(protocol: Protocol) -> dict[str, str]:
    return {SUBJECT_FORM: "Subject", **{f.code: f.label.en for f in protocol.forms}}


def _metadata(release: ReleaseFrames, protocol: Protocol, meta: dict[str, Any]) -> Any:
    study = etree.Element(_e("Study"), OID=oid("ST", protocol.code), nsmap={None: NS})
    glob = _sub(study, "GlobalVariables")
    _sub(glob, "StudyName").text = protocol.code
    _sub(glob, "StudyDescription").text = protocol.title.en
    _sub(glob, "ProtocolName").text = f"{protocol.code} {protocol.version}"
    mdv = _sub(study, "MetaDataVersion", OID=meta["mdv_oid"],
               Name=f"{protocol.code} release v{meta['version']}")  # fmt: skip
    events, items, names = _structure(release, protocol), _items(release), _form_names(protocol)
    prot = _sub(mdv, "Protocol")
    for order, (code, _name, _forms) in enumerate(events, start=1):
        _sub(prot, "StudyEventRef", StudyEventOID=oid("SE", code), OrderNumber=str(order),
             Mandatory="No")  # fmt: skip
    for code, name, forms in events:
        event = _sub(mdv, "StudyEventDef", OID=oid("SE", code), Name=name, Repeating="No",
                     Type="Common" if code == SUBJECT_FORM else "Scheduled")  # fmt: skip
        for form in forms:
            _sub(event, "FormRef", FormOID=oid("F", form), Mandatory="No")
    for form in items:
        node = _sub(mdv, "FormDef", OID=oid("F", form), Name=names.get(form, form), Repeating="No")
        _sub(node, "ItemGroupRef", ItemGroupOID=oid("IG", form), Mandatory="No")
    for form, group in items.items():
        node = _sub(mdv, "ItemGroupDef", OID=oid("IG", form), Name=names.get(form, form),
                    Repeating="No")  # fmt: skip
        for item in group:
            _sub(node, "ItemRef", ItemOID=oid("IT", form, item), Mandatory="No")
    for form, group in items.items():
        for item, var in group.items():
            _item_def(mdv, form, item, var)
    for form, group in items.items():
        for item, var in group.items():
            if var.codes:
                _code_list(mdv, form, item, var)
    return study


def _item_def(mdv: Any, form: str, item: str, var: Variable) -> None:
    label = var.label.split(" at visit ")[0]
    node = _sub(mdv, "ItemDef", OID=oid("IT", form, item), Name=item,
                DataType=DATA_TYPES.get(var.dtype, "text"))  # fmt: skip
    _text(node, "Description", label)
    _text(node, "Question", label)
    if var.codes:
        _sub(node, "CodeListRef", CodeListOID=oid("CL", form, item))


def _code_list(mdv: Any, form: str, item: str, var: Variable) -> None:
    node = _sub(mdv, "CodeList", OID=oid("CL", form, item), Name=item,
                DataType=DATA_TYPES.get(var.dtype, "text"))  # fmt: skip
    for code, label in var.codes:
        entry = _sub(node, "CodeListItem", CodedValue=code)
        _text(entry, "Decode", label)


_ESCAPES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "\n": "&#10;",
    "\r": "&#13;",
    "\t": "&#9;",
}
_TO_ESCAPE = re.compile('[&<>"\n\r\t]')
# Characters XML 1.0 cannot hold (lxml refuses them too): C0 controls but tab/LF/CR, U+FFFE/F.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _attr(text: str) -> str:
    """``text`` escaped for a double-quoted XML attribute (as lxml writes it)."""
    return _TO_ESCAPE.sub(lambda m: _ESCAPES[m.group()], text) if _TO_ESCAPE.search(text) else text


def _texts(column: pd.Series, dtype: str) -> list[str | None]:
    """One column's ODM values, formatted column at a time (``None``: missing).

    Booleans (released as 1/0) are ``1``/``0``, numbers ``%.10g``, text as it is (escaped);
    an empty text is kept (an ``ItemData`` with an empty value).
    """
    values = column.tolist()
    if dtype == "float":
        out = ["%.10g" % float(v) if v is not None and v is not pd.NA and v == v else None  # noqa: UP031
               for v in values]  # fmt: skip
    elif dtype == "bool":
        out = [None if v is None or v is pd.NA or v != v else "1" if v else "0" for v in values]
    else:
        out = [None if v is None or v is pd.NA or (v.__class__ is float and v != v)
               else _attr(v if v.__class__ is str else str(v)) for v in values]  # fmt: skip
    if dtype not in ("float", "bool") and any(t and _NOT_XML.search(t) for t in out):
        raise ValueError("All strings must be XML compatible: Unicode or ASCII, no NULL bytes "
                         "or control characters")  # fmt: skip
    return out


def _layout(release: ReleaseFrames, protocol: Protocol) -> list[tuple[str, list[tuple]]]:
    """(event OID, [(form OID, group OID, [(column, variable, item OID)])]) in file order."""
    by_place: dict[tuple[str, str], list[tuple[str, Variable, str]]] = {}
    for var in release.variables_of("wide"):
        by_place.setdefault((var.form, var.visit), []).append(
            (var.name, var, oid("IT", var.form, var.item))
        )
    return [
        (oid("SE", code), [
            (oid("F", form), oid("IG", form),
             by_place.get((form, "" if form == SUBJECT_FORM else code), []))
            for form in forms
        ])
        for code, _name, forms in _structure(release, protocol)
    ]  # fmt: skip


def _subject_chunks(release: ReleaseFrames, protocol: Protocol, chunk: int = 5000) -> Iterator[str]:
    """Yield the ClinicalData's SubjectData elements as XML text, ``chunk`` subjects at a time.

    Each item's ``<ItemData …/>`` is formatted column by column; each subject's row then
    only joins the present items of each form and wraps them (a form, or an event, without
    any present item is left out, as ODM wants).
    """
    frame = release.frames["wide"]
    layout = _layout(release, protocol)
    for start in range(0, len(frame), chunk):
        part = frame.iloc[start : start + chunk]
        keys = [_attr(str(k)) for k in part["participant_id"].tolist()]
        subjects = [f'<SubjectData SubjectKey="{k}">' for k in keys]
        for event_oid, forms in layout:
            events = [""] * len(part)
            for form_oid, group_oid, items in forms:
                if not items:
                    continue
                cells = [
                    [None if t is None else f'<ItemData ItemOID="{item_oid}" Value="{t}"/>'
                     for t in _texts(part[name], var.dtype)]
                    for name, var, item_oid in items if name in part
                ]  # fmt: skip
                head = f'<FormData FormOID="{form_oid}"><ItemGroupData ItemGroupOID="{group_oid}">'
                for i, row in enumerate(zip(*cells, strict=True)):
                    body = "".join(c for c in row if c is not None)
                    if body:
                        events[i] += f"{head}{body}</ItemGroupData></FormData>"
            start_event = f'<StudyEventData StudyEventOID="{event_oid}">'
            for i, body in enumerate(events):
                if body:
                    subjects[i] += f"{start_event}{body}</StudyEventData>"
        yield "".join(f"{s}</SubjectData>" for s in subjects)


def _single_visit_forms(protocol: Protocol) -> dict[str, str]:
    """Return form -> the first visit collecting it (where once-only items are reported)."""
    first: dict[str, str] = {}
    for visit in protocol.visits:
        for form in visit.forms:
            first.setdefault(form, visit.code)
    return first


def write_odm(release: ReleaseFrames, protocol: Protocol, meta: dict[str, Any], path: Path) -> None:
    """Write the ODM 1.3.2 snapshot file: the metadata (lxml), then the subjects streamed as
    text a few thousand at a time (:func:`_subject_chunks`)."""
    release = _placed(release, protocol)
    meta = {**meta, "mdv_oid": oid("MDV", f"v{meta['version']}")}
    attrib = {"FileType": "Snapshot", "FileOID": meta["file_oid"], "ODMVersion": "1.3.2",
              "CreationDateTime": meta["created_at"], "Granularity": "All"}  # fmt: skip
    root = etree.Element(_e("ODM"), attrib, nsmap={None: NS})
    root.append(_metadata(release, protocol, meta))
    clinical = _sub(root, "ClinicalData", StudyOID=oid("ST", protocol.code),
                    MetaDataVersionOID=meta["mdv_oid"])  # fmt: skip
    clinical.text = _SUBJECTS
    head, tail = etree.tostring(root, encoding="unicode").rsplit(_SUBJECTS, 1)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("<?xml version='1.0' encoding='utf-8'?>\n")
        fh.write(head)
        for text in _subject_chunks(release, protocol):
            fh.write(text)
        fh.write(tail)


_SUBJECTS = "@@subjects@@"  # where the streamed subjects go in the serialized skeleton


def _placed(release: ReleaseFrames, protocol: Protocol) -> ReleaseFrames:
    """Return the release with each once-only item placed at the first visit of its form."""
    first = _single_visit_forms(protocol)
    variables = tuple(
        v
        if v.frame != "wide" or v.visit or v.form == SUBJECT_FORM
        else Variable(
            v.frame, v.name, v.dtype, v.label, v.codes, v.form, first.get(v.form, ""), v.item
        )  # fmt: skip
        for v in release.variables
    )
    return ReleaseFrames(release.variant, release.frames, variables)
