"""The staff form builder (フォーム作成): writes to a procedure's draft form version, publishing and import.

A procedure has at most one draft `FormVersion`. Staff create it (from the live version, a blank one-page form
or the preset's form) and change it one step at a time: pages, fields (repeated-group members are addressed as
`<group>.<member>`), conditions and fee rules. Every step is checked with the engine's `validate_definition`
against this municipality's fee table, so the draft is always a definition that could go live; a step that
would break it is refused with the validator's message at the form field it concerns.

Concurrent editing: every step carries the revision the editor saw (a digest of the draft's definition). When a
colleague changed the draft in between, the step is refused instead of overwriting their change.

Publishing puts the draft live and retires the old live version in one transaction. Submissions and resident
drafts keep pointing at the version they were made with, so they keep working and submit with it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.audit.services import audit_record
from madoguchi.core.errors import ServiceError

from .engine.definition import (
    SCHEMA_VERSION,
    DefinitionError,
    DefinitionIssue,
    FormDefinition,
    validate_definition,
)
from .engine.examples import FIXTURES, example_json
from .models import Fee, FormVersion, Procedure

MAX_IMPORT_BYTES = 512 * 1024
MAX_IMPORT_NESTING = 40
DRAFT_SOURCES = ("live", "blank", "preset")
MOVES = ("up", "down")

STALE_MESSAGE = _("ほかの職員がこの下書きを変更しました。最新の内容を確認してから、もう一度操作してください。")


class DefinitionRefused(ServiceError):
    """The change or import would give an invalid definition: every problem, with where it is."""

    def __init__(self, issues: tuple[DefinitionIssue, ...] | list[DefinitionIssue], *, field: str | None = None):
        super().__init__("definition_invalid", issues[0].message if issues else "", field=field)
        self.issues = tuple(issues)


# ---------------------------------------------------------------------------------------------------------
# Reading a draft


def revision_of(definition: Any) -> str:
    """A digest of the definition: what the editor saw, to detect a colleague's change in between."""
    canonical = json.dumps(definition, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def fee_table(procedure: Procedure) -> dict[str, int]:
    return dict(Fee.objects.filter(municipality=procedure.municipality).values_list("code", "amount"))


def preset_form_json(procedure: Procedure) -> dict[str, Any] | None:
    """The preset's ready-made form, when the engine ships one for it (e.g. 住民票の写し等交付申請)."""
    key = procedure.preset_key
    if not key or not key.isidentifier() or not (FIXTURES / f"{key}.json").is_file():
        return None
    return example_json(key)


def blank_definition() -> dict[str, Any]:
    return {
        "schema": SCHEMA_VERSION,
        "pages": [
            {
                "id": "page1",
                "title": {"ja": "申請する方", "en": "About you"},
                "fields": [
                    {
                        "id": "applicant_name",
                        "type": "name",
                        "label": {"ja": "氏名", "en": "Full name"},
                        "prefill": ["claims.name", "profile.name"],
                    },
                ],
            }
        ],
    }


def split_key(key: str) -> tuple[str, str | None]:
    """`field` or `group.member` → (top-level id, member id or None)."""
    top, _dot, member = key.partition(".")
    return top, (member or None)


def locate_field(definition: dict[str, Any], key: str) -> tuple[list[dict[str, Any]], int, int] | None:
    """(the list holding the field, its index there, its page index) or None."""
    top, member = split_key(key)
    for page_index, page in enumerate(definition.get("pages", [])):
        for index, field in enumerate(page.get("fields", [])):
            if field.get("id") != top:
                continue
            if member is None:
                return page["fields"], index, page_index
            for sub_index, sub in enumerate(field.get("fields", []) if field.get("type") == "repeated_group" else []):
                if sub.get("id") == member:
                    return field["fields"], sub_index, page_index
            return None
    return None


def page_index(definition: dict[str, Any], page_id: str) -> int | None:
    for index, page in enumerate(definition.get("pages", [])):
        if page.get("id") == page_id:
            return index
    return None


def field_path(definition: dict[str, Any], key: str) -> str | None:
    """The validator's location of a field, e.g. `$.pages[1].fields[0]` or `$.pages[0].fields[2].fields[1]`."""
    top, member = split_key(key)
    found = locate_field(definition, top)
    if found is None:
        return None
    _container, index, page = found
    path = f"$.pages[{page}].fields[{index}]"
    if member is not None:
        sub = locate_field(definition, key)
        if sub is None:
            return None
        path += f".fields[{sub[1]}]"
    return path


def _location_key(location: str, prefix: str) -> str | None:
    """The first key under `prefix` in a validator location: `$.pages[0].fields[1].label.ja` → `label`."""
    if not location.startswith(prefix):
        return None
    rest = location[len(prefix) :]
    match = re.match(r"^\.([a-z_]+)", rest)
    return match.group(1) if match else ("" if rest == "" else None)


# ---------------------------------------------------------------------------------------------------------
# The one way a draft changes


def _locked_draft(procedure: Procedure) -> FormVersion:
    Procedure.objects.select_for_update().filter(pk=procedure.pk).first()
    draft = FormVersion.objects.select_for_update().filter(procedure=procedure, status=FormVersion.Status.DRAFT).first()
    if draft is None:
        raise ServiceError("no_draft", _("編集中の下書きがありません。先に下書きを作成してください。"), status=404)
    return draft


def _check(definition: dict[str, Any], procedure: Procedure, *, prefix: str | None, field_map: dict[str, str]) -> None:
    try:
        validate_definition(definition, fee_table=fee_table(procedure))
    except DefinitionError as error:
        field = None
        if prefix is not None:
            for issue in error.issues:
                key = _location_key(issue.location, prefix)
                if key is not None:
                    field = field_map.get(key, key)
                    ordered = [issue, *[other for other in error.issues if other is not issue]]
                    raise DefinitionRefused(ordered, field=field) from error
        first = error.issues[0]
        message = _("「%(where)s」について：%(message)s") % {
            "where": describe_location(definition, first.location),
            "message": first.message,
        }
        raise DefinitionRefused(
            [DefinitionIssue(first.location, str(message)), *error.issues[1:]], field=field
        ) from error


def describe_location(definition: dict[str, Any], location: str) -> str:
    """The page title or question label a validator location points into, for a message staff can act on."""
    where = location
    match = re.match(r"^\$\.pages\[(\d+)\](?:\.fields\[(\d+)\])?", location)
    if match:
        try:
            page = definition["pages"][int(match.group(1))]
            node = page["fields"][int(match.group(2))] if match.group(2) is not None else page
            text = node.get("label") if match.group(2) is not None else node.get("title")
            where = str(text.get("ja", "") if isinstance(text, dict) else text or where)
        except (IndexError, KeyError, TypeError, AttributeError):
            where = location
    elif location.startswith("$.fee"):
        where = str(_("手数料"))
    return where


def _audit(
    procedure: Procedure,
    version: FormVersion,
    *,
    action: str,
    actor: Any,
    request: HttpRequest | None,
    details: dict[str, Any] | None = None,
) -> None:
    audit_record(
        action=action,
        actor=actor,
        municipality=procedure.municipality,
        object_type="procedure",
        object_id=str(procedure.public_id),
        request=request,
        details={"version": version.number, **(details or {})},
    )


# Locations in the definition → the builder form field that edits them.
FIELD_FORM_MAP = {
    "label": "label_ja",
    "hint": "hint_ja",
    "unit": "unit_ja",
    "item_label": "item_label_ja",
    "declaration": "declaration_ja",
    "title": "title_ja",
}


@transaction.atomic
def _edit(
    *,
    procedure: Procedure,
    actor: Any,
    revision: str,
    request: HttpRequest | None,
    action: str,
    change: Callable[[dict[str, Any]], str | None],
    details: dict[str, Any] | None = None,
) -> FormVersion:
    """Apply `change` to a copy of the draft's definition, validate, save, audit. `change` returns the location
    prefix of what it edited (so the validator's message lands on the right form field) or None."""
    draft = _locked_draft(procedure)
    if revision != revision_of(draft.definition):
        raise ServiceError("stale", STALE_MESSAGE, status=409)
    definition = copy.deepcopy(draft.definition)
    prefix = change(definition)
    _check(definition, procedure, prefix=prefix, field_map=FIELD_FORM_MAP)
    draft.definition = definition
    draft.full_clean()
    draft.save(update_fields=["definition"])
    _audit(procedure, draft, action=action, actor=actor, request=request, details=details)
    return draft


def _refuse_missing(what: Any) -> ServiceError:
    return ServiceError("not_found", _("指定された%(what)sはこの下書きにありません。") % {"what": what}, status=404)


def _next_number(procedure: Procedure) -> int:
    last = FormVersion.objects.filter(procedure=procedure).order_by("-number").values_list("number", flat=True).first()
    return (last or 0) + 1


# ---------------------------------------------------------------------------------------------------------
# Draft lifecycle


@transaction.atomic
def form_draft_create(*, procedure: Procedure, actor: Any, source: str, request: HttpRequest | None) -> FormVersion:
    """The procedure's draft, made from the live version, a blank one-page form or the preset's form.
    Idempotent: when a draft exists already it is returned unchanged (nobody's work is replaced)."""
    Procedure.objects.select_for_update().filter(pk=procedure.pk).first()
    existing = FormVersion.objects.filter(procedure=procedure, status=FormVersion.Status.DRAFT).first()
    if existing is not None:
        return existing
    if source == "live":
        live = FormVersion.objects.filter(procedure=procedure, status=FormVersion.Status.LIVE).first()
        if live is None:
            raise ServiceError("no_live", _("公開中の申請書がありません。"), field="source")
        definition = copy.deepcopy(live.definition)
    elif source == "preset":
        preset = preset_form_json(procedure)
        if preset is None:
            raise ServiceError("no_preset", _("この手続のひな形には申請書がありません。"), field="source")
        definition = preset
    elif source == "blank":
        definition = blank_definition()
    else:
        raise ServiceError("source_invalid", _("作成のもとを選んでください。"), field="source")
    _check(definition, procedure, prefix=None, field_map={})
    draft = FormVersion(
        procedure=procedure,
        number=_next_number(procedure),
        status=FormVersion.Status.DRAFT,
        definition=definition,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    draft.full_clean()
    draft.save()
    _audit(procedure, draft, action="form.draft_created", actor=actor, request=request, details={"source": source})
    return draft


@transaction.atomic
def form_draft_discard(*, procedure: Procedure, actor: Any, revision: str, request: HttpRequest | None) -> None:
    draft = _locked_draft(procedure)
    if revision != revision_of(draft.definition):
        raise ServiceError("stale", STALE_MESSAGE, status=409)
    _audit(procedure, draft, action="form.draft_discarded", actor=actor, request=request)
    draft.delete()


@transaction.atomic
def form_draft_publish(*, procedure: Procedure, actor: Any, revision: str, request: HttpRequest | None) -> FormVersion:
    """Draft → live and the old live version → retired, in one transaction. Applications and resident drafts
    made with the old version keep it. Idempotent: publishing again what just went live returns that version."""
    Procedure.objects.select_for_update().filter(pk=procedure.pk).first()
    if not FormVersion.objects.filter(procedure=procedure, status=FormVersion.Status.DRAFT).exists():
        live = FormVersion.objects.filter(procedure=procedure, status=FormVersion.Status.LIVE).first()
        if live is not None and revision == revision_of(live.definition):
            return live
    draft = _locked_draft(procedure)
    if revision != revision_of(draft.definition):
        raise ServiceError("stale", STALE_MESSAGE, status=409)
    _check(draft.definition, procedure, prefix=None, field_map={})
    retired = list(FormVersion.objects.select_for_update().filter(procedure=procedure, status=FormVersion.Status.LIVE))
    for old in retired:
        old.status = FormVersion.Status.RETIRED
        old.save(update_fields=["status"])
    draft.status = FormVersion.Status.LIVE
    draft.published_at = timezone.now()
    draft.full_clean()
    draft.save(update_fields=["status", "published_at"])
    _audit(
        procedure,
        draft,
        action="form.published",
        actor=actor,
        request=request,
        details={"retired": [old.number for old in retired]},
    )
    return draft


@transaction.atomic
def form_definition_publish(
    *, procedure: Procedure, actor: Any, definition: dict[str, Any], request: HttpRequest | None
) -> FormVersion:
    """Import a definition as the draft and publish it at once (demo data, fixtures, scripted set-up)."""
    draft = form_draft_import(
        procedure=procedure,
        actor=actor,
        raw=json.dumps(definition, ensure_ascii=False).encode("utf-8"),
        revision=None,
        replace=True,
        request=request,
    )
    return form_draft_publish(procedure=procedure, actor=actor, revision=revision_of(draft.definition), request=request)


# ---------------------------------------------------------------------------------------------------------
# Import and export


def _nesting_depth(text: str) -> int:
    """The deepest bracket nesting of JSON text, read without recursion (strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_IMPORT_NESTING:
                return deepest
        elif char in "]}":
            depth -= 1
    return deepest


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise ValueError(key)
        data[key] = value
    return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)


def parse_definition_file(raw: bytes) -> dict[str, Any]:
    """Strictly read an uploaded definition: size, UTF-8, nesting, JSON syntax, duplicate keys."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise ServiceError(
            "file_too_large",
            _("ファイルが大きすぎます（%(max)sKBまで）。") % {"max": MAX_IMPORT_BYTES // 1024},
            field="file",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ServiceError("not_utf8", _("ファイルの文字コードがUTF-8ではありません。"), field="file") from error
    if _nesting_depth(text) > MAX_IMPORT_NESTING:
        raise ServiceError(
            "too_deep", _("入れ子が深すぎます（%(max)s段まで）。") % {"max": MAX_IMPORT_NESTING}, field="file"
        )
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise ServiceError(
            "not_json",
            _("JSONとして読めません（%(line)s行目%(column)s文字目）。") % {"line": error.lineno, "column": error.colno},
            field="file",
        ) from error
    except (ValueError, RecursionError) as error:
        raise ServiceError("not_json", _("JSONとして読めません（重複したキーなど）。"), field="file") from error
    if not isinstance(data, dict):
        raise ServiceError("not_object", _("申請書の定義（JSONのオブジェクト）ではありません。"), field="file")
    return data


@transaction.atomic
def form_draft_import(
    *,
    procedure: Procedure,
    actor: Any,
    raw: bytes,
    revision: str | None,
    request: HttpRequest | None,
    replace: bool = False,
) -> FormVersion:
    """A JSON file becomes the draft. Refused as a whole, with every problem and its location, when invalid.
    An existing draft is replaced only when `revision` is the one the importer saw (or `replace` for scripts)."""
    data = parse_definition_file(raw)
    try:
        validate_definition(data, fee_table=fee_table(procedure))
    except DefinitionError as error:
        raise DefinitionRefused(list(error.issues), field="file") from error
    Procedure.objects.select_for_update().filter(pk=procedure.pk).first()
    draft = FormVersion.objects.select_for_update().filter(procedure=procedure, status=FormVersion.Status.DRAFT).first()
    if draft is None:
        draft = FormVersion(
            procedure=procedure,
            number=_next_number(procedure),
            status=FormVersion.Status.DRAFT,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
    elif not replace and revision != revision_of(draft.definition):
        raise ServiceError("stale", STALE_MESSAGE, status=409)
    draft.definition = data
    draft.full_clean()
    draft.save()
    _audit(procedure, draft, action="form.imported", actor=actor, request=request, details={"bytes": len(raw)})
    return draft


def form_version_export(*, procedure: Procedure, version: FormVersion, actor: Any, request: HttpRequest | None) -> str:
    """The definition as pretty JSON in the documented key order (PostgreSQL's jsonb keeps its own order),
    audited: a form is the municipality's work product. Importing it gives the same form back."""
    try:
        data: Any = validate_definition(version.definition).to_dict()
    except DefinitionError:  # an old version the validator has since become stricter about: export it as stored
        data = version.definition
    _audit(procedure, version, action="form.exported", actor=actor, request=request)
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


# ---------------------------------------------------------------------------------------------------------
# Pages


def _page_dict(data: dict[str, Any]) -> dict[str, Any]:
    page: dict[str, Any] = {"id": data["id"], "title": data["title"]}
    if data.get("hint"):
        page["hint"] = data["hint"]
    return page


@transaction.atomic
def form_page_add(
    *,
    procedure: Procedure,
    actor: Any,
    revision: str,
    page: dict[str, Any],
    first_field: dict[str, Any],
    request: HttpRequest | None,
) -> FormVersion:
    """A new last page with its first question (a page always has at least one)."""

    def change(definition: dict[str, Any]) -> str:
        if page_index(definition, page.get("id", "")) is not None:
            raise ServiceError("duplicate_id", _("このページIDはすでに使われています。"), field="id")
        if locate_field(definition, first_field.get("id", "")) is not None:
            raise ServiceError("duplicate_id", _("この項目IDはすでに使われています。"), field="field_id")
        definition["pages"].append({**_page_dict(page), "fields": [first_field]})
        return f"$.pages[{len(definition['pages']) - 1}]"

    return _edit(
        procedure=procedure,
        actor=actor,
        revision=revision,
        request=request,
        action="form.page_added",
        change=change,
        details={"page": page.get("id")},
    )


@transaction.atomic
def form_page_update(
    *,
    procedure: Procedure,
    actor: Any,
    revision: str,
    page_id: str,
    page: dict[str, Any],
    request: HttpRequest | None,
) -> FormVersion:
    """New id, title and hint for a page (its fields and condition stay)."""

    def change(definition: dict[str, Any]) -> str:
        index = page_index(definition, page_id)
        if index is None:
            raise _refuse_missing(_("ページ"))
        if page["id"] != page_id and page_index(definition, page["id"]) is not None:
            raise ServiceError("duplicate_id", _("このページIDはすでに使われています。"), field="id")
        old = definition["pages"][index]
        updated = _page_dict(page)
        if "condition" in old:
            updated["condition"] = old["condition"]
        updated["fields"] = old["fields"]
        definition["pages"][index] = updated
        return f"$.pages[{index}]"

    return _edit(
        procedure=procedure,
        actor=actor,
        revision=revision,
        request=request,
        action="form.page_updated",
        change=change,
        details={"page": page_id},
    )


@transaction.atomic
def form_page_remove(
    *, procedure: Procedure, actor: Any, revision: str, page_id: str, request: HttpRequest | None
) -> FormVersion:
    def change(definition: dict[str, Any]) -> None:
        index = page_index(definition, page_id)
        if index is None:
            raise _refuse_missing(_("ページ"))
        if len(definition["pages"]) == 1:
            raise ServiceError("last_page", _("最後の1ページは削除できません。"))
        del definition["pages"][index]
        return None

    return _edit(
        procedure=procedure,
        actor=actor,
        revision=revision,
        request=request,
        action="form.page_removed",
        change=change,
        details={"page": page_id},
    )


@transaction.atomic
def form_page_move(
    *, procedure: Procedure, actor: Any, revision: str, page_id: str, direction: str, request: HttpRequest | None
) -> FormVersion:
    def change(definition: dict[str, Any]) -> None:
        index = page_index(definition, page_id)
        if index is None:
            raise _refuse_missing(_("ページ"))
        target = index - 1 if direction == "up" else index + 1
        if direction not in MOVES or not 0 <= target < len(definition["pages"]):
            raise ServiceError("cannot_move", _("これ以上移動できません。"))
        pages = definition["pages"]
        pages[index], pages[target] = pages[target], pages[index]
        return None

    return _edit(
        procedure=procedure,
        actor=actor,
        revision=revision,
        request=request,
        action="form.page_moved",
        change=change,
        details={"page": page_id, "direction": direction},
    )


# ---------------------------------------------------------------------------------------------------------
# Fields (and repeated-group members, addressed as "<group>.<member>")


@transaction.atomic
def form_field_add(
    *,
    procedure: Procedure,
    actor: Any,
    revision: str,
    page_id: str,
    field: dict[str, Any],
    group_id: str | None = None,
    request: HttpRequest | None,
) -> FormVersion:
    """A new last field on the page (or last member of the group)."""

    def change(definition: dict[str, Any]) -> str:
        if group_id is None:
            index = page_index(definition, page_id)
            if index is None:
                raise _refuse_missing(_("ページ"))
            if locate_field(definition, field.get("id", "")) is not None:
                raise ServiceError("duplicate_id", _("この項目IDはすでに使われています。"), field="id")
            fields = definition["pages"][index]["fields"]
            fields.append(field)
            return f"$.pages[{index}].fields[{len(fields) - 1}]"
        found = locate_field(definition, group_id)
        if found is None or found[0][found[1]].get("type") != "repeated_group":
            raise _refuse_missing(_("繰り返し項目"))
        group = found[0][found[1]]
        if any(sub.get("id") == field.get("id") for sub in group["fields"]):
            raise ServiceError("duplicate_id", _("この項目IDはすでに使われています。"), field="id")
        group["fields"].append(field)
        return f"$.pages[{found[2]}].fields[{found[1]}].fields[{len(group['fields']) - 1}]"

    return _edit(
        procedure=procedure,
        actor=actor,
        revision=revision,
        request=request,
        action="form.field_added",
        change=change,
        details={"field": field.get("id"), "group": group_id},
    )


@transaction.atomic
def form_field_update(
    *,
    procedure: Procedure,
    actor: Any,
    revision: str,
    key: str,
    field: dict[str, Any],
    request: HttpRequest | None,
) -> FormVersion:
    """Replace a field's settings. Its condition is kept (edited separately); a group keeps its members."""

    def change(definition: dict[str, Any]) -> str | None:
        found = locate_field(definition, key)
        if found is None:
            raise _refuse_missing(_("項目"))
        container, index, _page = found
        old = container[index]
        new_id = field.get("id")
        is_member = split_key(key)[1] is not None
        if new_id != old.get("id") and (
            any(other.get("id") == new_id for other in container)
            or (not is_member and locate_field(definition, str(new_id)) is not None)
        ):
            raise ServiceError("duplicate_id", _("この項目IDはすでに使われています。"), field="id")
        updated = dict(field)
        if "condition" in old and "condition" not in updated:
            updated["condition"] = old["condition"]
        if field.get("type") == "repeated_group" and "fields" not in updated:
            updated["fields"] = old.get("fields", [])
        container[index] = updated
        if new_id != old.get("id") and not is_member:
            _rename_references(definition, str(old.get("id")), str(new_id))
        return field_path(definition, key if new_id == old.get("id") else _renamed(key, str(new_id)))

    return _edit(
        procedure=procedure,
        actor=actor,
        revision=revision,
        request=request,
        action="form.field_updated",
        change=change,
        details={"field": key},
    )


def _renamed(key: str, new_id: str) -> str:
    top, member = split_key(key)
    return f"{top}.{new_id}" if member is not None else new_id


def _rename_references(definition: dict[str, Any], old: str, new: str) -> None:
    """A renamed field stays referenced by the conditions and fee rules that looked at it."""

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("field") == old:
                node["field"] = new
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for page in definition.get("pages", []):
        if "condition" in page:
            walk(page["condition"])
        for field in page.get("fields", []):
            if "condition" in field:
                walk(field["condition"])
    for item in definition.get("fee", {}).get("items", []):
        if item.get("quantity_field") == old:
            item["quantity_field"] = new
        if "condition" in item:
            walk(item["condition"])


@transaction.atomic
def form_field_remove(
    *, procedure: Procedure, actor: Any, revision: str, key: str, request: HttpRequest | None
) -> FormVersion:
    def change(definition: dict[str, Any]) -> None:
        found = locate_field(definition, key)
        if found is None:
            raise _refuse_missing(_("項目"))
        container, index, _page = found
        if len(container) == 1:
            raise ServiceError(
                "last_field",
                _("ページ（または繰り返し項目）の最後の1項目は削除できません。先に別の項目を追加してください。"),
            )
        del container[index]
        return None

    return _edit(
        procedure=procedure,
        actor=actor,
        revision=revision,
        request=request,
        action="form.field_removed",
        change=change,
        details={"field": key},
    )


@transaction.atomic
def form_field_move(
    *, procedure: Procedure, actor: Any, revision: str, key: str, direction: str, request: HttpRequest | None
) -> FormVersion:
    """Up or down within its page; past the top or bottom of a page it moves to the end of the previous page
    or the start of the next one. Members move within their group."""

    def change(definition: dict[str, Any]) -> None:
        found = locate_field(definition, key)
        if found is None:
            raise _refuse_missing(_("項目"))
        if direction not in MOVES:
            raise ServiceError("cannot_move", _("これ以上移動できません。"))
        container, index, page = found
        target = index - 1 if direction == "up" else index + 1
        if 0 <= target < len(container):
            container[index], container[target] = container[target], container[index]
            return None
        pages = definition["pages"]
        neighbour = page - 1 if direction == "up" else page + 1
        if split_key(key)[1] is not None or not 0 <= neighbour < len(pages) or len(container) == 1:
            raise ServiceError("cannot_move", _("これ以上移動できません。"))
        moved = container.pop(index)
        if direction == "up":
            pages[neighbour]["fields"].append(moved)
        else:
            pages[neighbour]["fields"].insert(0, moved)
        return None

    return _edit(
        procedure=procedure,
        actor=actor,
        revision=revision,
        request=request,
        action="form.field_moved",
        change=change,
        details={"field": key, "direction": direction},
    )


# ---------------------------------------------------------------------------------------------------------
# Conditions


def condition_parts(condition: Any) -> tuple[str, list[dict[str, Any]]] | None:
    """A condition the editor can show as a list: ("all"|"any", leaves). None for deeper trees (import)."""
    if not condition:
        return "all", []
    if isinstance(condition, dict) and "field" in condition:
        return "all", [condition]
    for mode in ("all", "any"):
        if (
            isinstance(condition, dict)
            and set(condition) == {mode}
            and all(isinstance(child, dict) and "field" in child for child in condition[mode])
        ):
            return mode, list(condition[mode])
    return None


def condition_compose(mode: str, leaves: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not leaves:
        return None
    if len(leaves) == 1:
        return leaves[0]
    return {"any" if mode == "any" else "all": leaves}


@transaction.atomic
def form_condition_set(
    *,
    procedure: Procedure,
    actor: Any,
    revision: str,
    target: str,
    target_id: str,
    condition: dict[str, Any] | None,
    request: HttpRequest | None,
) -> FormVersion:
    """Show a page or a field only when `condition` holds (None: always)."""

    def change(definition: dict[str, Any]) -> str:
        if target == "page":
            index = page_index(definition, target_id)
            if index is None:
                raise _refuse_missing(_("ページ"))
            node = definition["pages"][index]
            path = f"$.pages[{index}]"
        else:
            found = locate_field(definition, target_id) if "." not in target_id else None
            if found is None:
                raise _refuse_missing(_("項目"))
            node = found[0][found[1]]
            path = f"$.pages[{found[2]}].fields[{found[1]}]"
        if condition is None:
            node.pop("condition", None)
        else:
            node["condition"] = condition
        return path

    return _edit(
        procedure=procedure,
        actor=actor,
        revision=revision,
        request=request,
        action="form.condition_set",
        change=change,
        details={"target": target, "id": target_id, "cleared": condition is None},
    )


# ---------------------------------------------------------------------------------------------------------
# Fee rules


@transaction.atomic
def form_fee_item_save(
    *,
    procedure: Procedure,
    actor: Any,
    revision: str,
    index: int | None,
    item: dict[str, Any],
    request: HttpRequest | None,
) -> FormVersion:
    """Add (index None) or replace a fee line. A line's condition set by import is kept."""

    def change(definition: dict[str, Any]) -> str:
        items = definition.setdefault("fee", {"items": []}).setdefault("items", [])
        if index is None:
            items.append(item)
            return f"$.fee.items[{len(items) - 1}]"
        if not 0 <= index < len(items):
            raise _refuse_missing(_("手数料の行"))
        updated = dict(item)
        if "condition" in items[index] and "condition" not in updated:
            updated["condition"] = items[index]["condition"]
        items[index] = updated
        return f"$.fee.items[{index}]"

    return _edit(
        procedure=procedure,
        actor=actor,
        revision=revision,
        request=request,
        action="form.fee_updated",
        change=change,
        details={"code": item.get("code"), "index": index},
    )


@transaction.atomic
def form_fee_item_remove(
    *, procedure: Procedure, actor: Any, revision: str, index: int, request: HttpRequest | None
) -> FormVersion:
    def change(definition: dict[str, Any]) -> None:
        items = definition.get("fee", {}).get("items", [])
        if not 0 <= index < len(items):
            raise _refuse_missing(_("手数料の行"))
        del items[index]
        if not items:
            definition.pop("fee", None)
        return None

    return _edit(
        procedure=procedure,
        actor=actor,
        revision=revision,
        request=request,
        action="form.fee_updated",
        change=change,
        details={"index": index, "removed": True},
    )


def parsed(version: FormVersion) -> FormDefinition:
    return validate_definition(version.definition)
