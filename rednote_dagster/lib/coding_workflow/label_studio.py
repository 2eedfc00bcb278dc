"""The sample as a Label Studio project, and Label Studio's JSON export back as coding rows.

* **Labelling config** (:func:`labelling_config`): generated from the scheme — a ``Text`` per context field, one
  ``Choices`` named ``code`` (single choice, required) whose ``Choice`` shows "code · name", carries the code as
  its ``alias`` (what Label Studio writes into results instead of the shown value) and the description as its
  ``hint``; a ``TextArea`` ``remark``; the code book (each code's description) below.
* **Tasks** (:func:`label_studio_tasks`): one task per item, ``data`` holding ``item_id``, ``entity``, ``scheme``
  and the context fields, in Label Studio's basic import format (a JSON list of ``{"data": …}``).
* **Export** (:func:`export_rows`): the "JSON" export (a list of tasks, each with ``data`` and ``annotations``;
  an annotation has ``completed_by``, ``result``, ``was_cancelled``, ``created_at`` / ``updated_at``). Each
  annotation becomes a row: the coder is who completed it (a Label Studio user id or e-mail, mapped to the
  project's coder names by ``coder_names``), the code its ``code`` choice. Skipped (cancelled) annotations
  are counted, not imported.
"""

from __future__ import annotations

from collections.abc import Mapping
from xml.etree import ElementTree

import polars as pl

from rednote_dagster.lib.coding_workflow.targets import FIELD_HEADERS, CodingTarget
from rednote_dagster.lib.labelling.scheme import Label

CODE_CONTROL, REMARK_CONTROL = "code", "remark"
CHOICE_SEPARATOR = " · "
ROWS_SCHEMA = {
    "entity": pl.String,
    "item_id": pl.String,
    "coder": pl.String,
    "raw_code": pl.String,
    "remark": pl.String,
    "coded_at": pl.String,
    "source": pl.String,
}


def choice_value(label: Label) -> str:
    """What a coder sees on a choice; the results carry the code (the alias)."""
    return f"{label.code}{CHOICE_SEPARATOR}{label.name}"


def labelling_config(target: CodingTarget) -> str:
    view = ElementTree.Element("View")
    for field in target.fields:
        ElementTree.SubElement(view, "Header", value=FIELD_HEADERS.get(field, field), size="5")
        ElementTree.SubElement(view, "Text", name=field, value=f"${field}")
    ElementTree.SubElement(view, "Header", value=f"{target.name}: choose one code", size="4")
    choices = ElementTree.SubElement(
        view,
        "Choices",
        name=CODE_CONTROL,
        toName=target.fields[0],
        choice="single-radio",
        required="true",
        requiredMessage="Choose a code before submitting.",
    )
    for label in target.scheme.labels:
        ElementTree.SubElement(choices, "Choice", value=choice_value(label), alias=label.code, hint=label.description)
    ElementTree.SubElement(
        view, "TextArea", name=REMARK_CONTROL, toName=target.fields[0], placeholder="remark (optional)", rows="2"
    )
    book = ElementTree.SubElement(view, "View", style="margin-top: 1em; opacity: 0.8")
    ElementTree.SubElement(book, "Header", value="Code book", size="5")
    for label in target.scheme.labels:
        ElementTree.SubElement(book, "Header", value=f"{choice_value(label)}: {label.description}", size="6")
    ElementTree.indent(view)
    return ElementTree.tostring(view, encoding="unicode") + "\n"


def label_studio_tasks(items: pl.DataFrame, target: CodingTarget) -> list[dict]:
    """``items``: entity, item_id and the target's context fields (a field an entity lacks is left empty)."""
    fields = [f for f in target.fields if f in items.columns]
    return [
        {
            "data": {
                "item_id": row["item_id"],
                "entity": row["entity"],
                "scheme": target.name,
                **{f: row[f] or "" for f in fields},
                **{f: "" for f in target.fields if f not in fields},
            }
        }
        for row in items.iter_rows(named=True)
    ]


def _coder(completed_by: object, coder_names: Mapping[str, str]) -> str:
    """A coder name for an annotation's ``completed_by``: a user id (an int in current exports) or a user
    object with ``id`` and ``email`` (older exports), looked up in ``coder_names`` by id or e-mail."""
    if isinstance(completed_by, dict):
        keys = [str(completed_by.get("id", "")), str(completed_by.get("email", ""))]
        fallback = completed_by.get("email") or f"label_studio_user_{completed_by.get('id')}"
    else:
        keys, fallback = [str(completed_by)], f"label_studio_user_{completed_by}"
    return next((coder_names[k] for k in keys if k in coder_names), fallback)


def _result_values(result: list[dict], control: str, key: str) -> list[str]:
    return [str(v) for r in result if r.get("from_name") == control for v in (r.get("value") or {}).get(key, [])]


def export_rows(
    export: object, target: CodingTarget, source: str, coder_names: Mapping[str, str] | None = None
) -> tuple[pl.DataFrame, list[str], list[str]]:
    """(rows as :data:`ROWS_SCHEMA`, problems that stop the import, notes). Rows keep the raw choice; the
    importer checks it against the scheme."""
    if not isinstance(export, list):
        return pl.DataFrame(schema=ROWS_SCHEMA), [f"{source}: not a Label Studio JSON export (a list of tasks)"], []
    names = {str(k): v for k, v in (coder_names or {}).items()}
    rows, problems, cancelled = [], [], 0
    for task in export:
        data = task.get("data") if isinstance(task, dict) else None
        if not isinstance(data, dict) or not data.get("item_id") or "annotations" not in task:
            problems.append(
                f"{source}: task {task.get('id') if isinstance(task, dict) else task!r} has no data.item_id or no "
                "annotations: not a task of this project, or not the JSON export (JSON_MIN and CSV are not read)"
            )
            continue
        if data.get("scheme", target.name) != target.name:
            problems.append(f"{source}: task {task.get('id')} is a {data.get('scheme')!r} task, not {target.name!r}")
            continue
        for annotation in task["annotations"]:
            if annotation.get("was_cancelled"):
                cancelled += 1
                continue
            result = annotation.get("result") or []
            choices = _result_values(result, CODE_CONTROL, "choices")
            rows.append(
                {
                    "entity": data.get("entity") or target.entities[0],
                    "item_id": str(data["item_id"]),
                    "coder": _coder(annotation.get("completed_by"), names),
                    "raw_code": "|".join(choices) or None,  # two choices are one unknown code, reported
                    "remark": "\n".join(_result_values(result, REMARK_CONTROL, "text")) or None,
                    "coded_at": annotation.get("updated_at") or annotation.get("created_at"),
                    "source": f"{source} annotation {annotation.get('id')}",
                }
            )
    notes = [f"{cancelled} skipped (cancelled) annotations not imported"] if cancelled else []
    return pl.DataFrame(rows, schema=ROWS_SCHEMA), problems, notes
