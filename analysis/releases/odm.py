"""CDISC ODM 1.3.2 export of a release (metadata and clinical data), written with lxml.

MetaDataVersion: one StudyEventDef per protocol visit (plus ``SE.SUBJECT`` for the identity
and flow columns), one FormDef and ItemGroupDef per form, an ItemDef per item with its
DataType and, for coded items, a CodeList. ClinicalData: one SubjectData per participant of
the wide frame. Subjects are streamed one by one with ``lxml.etree.xmlfile``.
"""

from __future__ import annotations

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


def _value(value: Any, var: Variable) -> str | None:
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return None
    if var.dtype == "bool":
        return "1" if value else "0"
    if var.dtype == "float":
        return f"{float(value):.10g}"
    return str(value)


def _subjects(release: ReleaseFrames, protocol: Protocol, study_oid: str) -> Iterator[Any]:
    """Yield one SubjectData element per wide row.

    Which variables go into which event and form, and every OID, are worked out once;
    each row then only formats its values.
    """
    by_place: dict[tuple[str, str], list[tuple[str, Variable, str]]] = {}
    for var in release.variables_of("wide"):
        by_place.setdefault((var.form, var.visit), []).append(
            (var.name, var, oid("IT", var.form, var.item))
        )
    layout = [
        (oid("SE", code), [
            (oid("F", form), oid("IG", form),
             by_place.get((form, "" if form == SUBJECT_FORM else code), []))
            for form in forms
        ])
        for code, _name, forms in _structure(release, protocol)
    ]  # fmt: skip
    tags = {tag: _e(tag) for tag in ("StudyEventData", "FormData", "ItemGroupData", "ItemData")}
    sub = etree.SubElement
    for row in _records(release.frames["wide"]):
        subject = etree.Element(
            _e("SubjectData"), SubjectKey=str(row["participant_id"]), nsmap={None: NS}
        )
        for event_oid, forms in layout:
            event = None
            for form_oid, group_oid, items in forms:
                values = [(item_oid, text) for name, var, item_oid in items
                          if (text := _value(row.get(name), var)) is not None]  # fmt: skip
                if not values:
                    continue
                if event is None:
                    event = sub(subject, tags["StudyEventData"], {"StudyEventOID": event_oid})
                form_data = sub(event, tags["FormData"], {"FormOID": form_oid})
                group = sub(form_data, tags["ItemGroupData"], {"ItemGroupOID": group_oid})
                for item_oid, text in values:
                    sub(group, tags["ItemData"], {"ItemOID": item_oid, "Value": text})
        yield subject


def _records(frame: pd.DataFrame, chunk: int = 5000) -> Iterator[dict[str, Any]]:
    """The frame's rows as dicts, a few thousand at a time (never all at once)."""
    for start in range(0, len(frame), chunk):
        yield from frame.iloc[start : start + chunk].to_dict("records")


def _single_visit_forms(protocol: Protocol) -> dict[str, str]:
    """Return form -> the first visit collecting it (where once-only items are reported)."""
    first: dict[str, str] = {}
    for visit in protocol.visits:
        for form in visit.forms:
            first.setdefault(form, visit.code)
    return first


def write_odm(release: ReleaseFrames, protocol: Protocol, meta: dict[str, Any], path: Path) -> None:
    """Write the ODM 1.3.2 snapshot file (metadata first, then one subject at a time)."""
    release = _placed(release, protocol)
    meta = {**meta, "mdv_oid": oid("MDV", f"v{meta['version']}")}
    study_oid = oid("ST", protocol.code)
    with etree.xmlfile(str(path), encoding="utf-8") as xf:
        xf.write_declaration()
        attrib = {"FileType": "Snapshot", "FileOID": meta["file_oid"], "ODMVersion": "1.3.2",
                  "CreationDateTime": meta["created_at"], "Granularity": "All"}  # fmt: skip
        with xf.element(_e("ODM"), attrib, nsmap={None: NS}):
            xf.write(_metadata(release, protocol, meta))
            with xf.element(_e("ClinicalData"), StudyOID=study_oid,
                            MetaDataVersionOID=meta["mdv_oid"]):  # fmt: skip
                for subject in _subjects(release, protocol, study_oid):
                    xf.write(subject)


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
