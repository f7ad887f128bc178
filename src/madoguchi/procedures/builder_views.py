"""The staff form builder screens (フォーム作成): overview, page / field / condition / fee editors, preview as a
resident, publish, history, export and import. Plain forms and POST buttons: everything works without
JavaScript. Same permission and 課 scope as the procedure's own staff page (`views.staff_edit`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from madoguchi.accounts.permissions import Perm
from madoguchi.core.errors import ServiceError, apply_service_error
from madoguchi.staff.decorators import staff_view

from . import builder, selectors
from .builder_forms import (
    TYPE_LABELS,
    ConditionLeafForm,
    FeeItemForm,
    FieldChoiceForm,
    FieldForm,
    ImportForm,
    PageAddForm,
    PageForm,
    TypeChoiceForm,
    earlier_fields,
)
from .engine.conditions import next_page_id, previous_page_id, visible_pages
from .engine.definition import (
    GROUP_MEMBER_TYPES,
    DefinitionError,
    FieldDef,
    FormDefinition,
    UnknownPageError,
    validate_definition,
)
from .engine.fees import compute_fee, unknown_fee_codes
from .engine.forms import page_form
from .engine.summary import summarise
from .manifest import module_required
from .models import Fee, FormVersion, Procedure

SESSION_PREVIEW = "madoguchi_builder_preview"


def builder_view(methods: list[str]) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """The permission and module checks of `views.staff_edit`, for the given HTTP methods."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        wrapped = require_http_methods(methods)(staff_view(Perm.PROCEDURES_MANAGE)(module_required(view)))
        return cast(Callable[..., HttpResponse], wrapped)

    return decorator


def _procedure(request: HttpRequest, procedure_id: str) -> Procedure:
    return selectors.procedure_get_for_staff(request.municipality, request.user, procedure_id)  # type: ignore[attr-defined]


def _draft(procedure: Procedure) -> FormVersion:
    draft = selectors.form_draft(procedure)
    if draft is None:
        raise Http404
    return draft


def _url(procedure: Procedure, name: str, **kwargs: Any) -> str:
    return reverse(
        f"procedures_staff:{name}",
        kwargs={"municipality_slug": procedure.municipality.slug, "procedure_id": procedure.public_id, **kwargs},
    )


def _overview(procedure: Procedure, anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(_url(procedure, "form") + (f"#{anchor}" if anchor else ""))


def _refusal(request: HttpRequest, error: ServiceError) -> None:
    messages.error(request, str(error.message))
    for issue in getattr(error, "issues", ())[1:10]:
        messages.error(request, f"{issue.location}: {issue.message}")


def _base(procedure: Procedure, draft: FormVersion | None, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {"procedure": procedure, "draft": draft}
    if draft is not None:
        context["revision"] = builder.revision_of(draft.definition)
        context["definition"] = validate_definition(draft.definition)
    context.update(extra)
    return context


def _type_label(field_type: str) -> str:
    return str(TYPE_LABELS.get(field_type, field_type))


def describe_condition(definition: FormDefinition, condition: Any) -> str:
    """A condition in words for staff: 「申請する方」が「代理人」 …"""
    if condition is None:
        return ""
    if condition.operator in ("all", "any"):
        joiner = _("かつ") if condition.operator == "all" else _("または")
        return f" {joiner} ".join(describe_condition(definition, child) for child in condition.children)
    if condition.operator == "not":
        return _("次の条件に当てはまらない：%(condition)s") % {
            "condition": describe_condition(definition, condition.children[0])
        }
    field = definition.field(condition.field)
    label = field.label.get() if field else condition.field

    def shown(value: Any) -> str:
        return field.option_label(value) if field and field.options else str(value)

    if condition.operator == "equals":
        return _("「%(field)s」が「%(value)s」") % {"field": label, "value": shown(condition.value)}
    if condition.operator == "not_equals":
        return _("「%(field)s」が「%(value)s」以外") % {"field": label, "value": shown(condition.value)}
    if condition.operator == "in":
        values = (
            "、".join(shown(value) for value in condition.value)
            if get_language() != "en"
            else ", ".join(shown(value) for value in condition.value)
        )
        return _("「%(field)s」が「%(values)s」のどれか") % {"field": label, "values": values}
    if condition.value:
        return _("「%(field)s」に回答がある") % {"field": label}
    return _("「%(field)s」に回答がない") % {"field": label}


# ---------------------------------------------------------------------------------------------------------
# Overview, draft lifecycle


@builder_view(["GET", "POST"])
def form_overview(request: HttpRequest, procedure_id: str) -> HttpResponse:
    procedure = _procedure(request, procedure_id)
    if request.method == "POST":
        try:
            builder.form_draft_create(
                procedure=procedure, actor=request.user, source=request.POST.get("source", ""), request=request
            )
        except ServiceError as error:
            _refusal(request, error)
        else:
            messages.success(request, _("下書きを作成しました。"))
        return _overview(procedure)
    draft = selectors.form_draft(procedure)
    live = selectors.live_form(procedure)
    context = _base(procedure, draft, live=live, has_preset=builder.preset_form_json(procedure) is not None)
    if draft is not None:
        definition = context["definition"]
        fees = {fee.code: fee for fee in Fee.objects.filter(municipality=procedure.municipality)}
        last_page = len(definition.pages) - 1
        context["pages"] = [
            {
                "page": page,
                "condition": describe_condition(definition, page.condition),
                "fields": [
                    {
                        "field": field,
                        "type_label": _type_label(field.type),
                        "condition": describe_condition(definition, field.condition),
                        "members": [{"field": sub, "type_label": _type_label(sub.type)} for sub in field.fields],
                        # past the top or bottom of its page a question moves to the neighbouring page
                        "can_up": index > 0 or (number > 0 and len(page.fields) > 1),
                        "can_down": index < len(page.fields) - 1 or (number < last_page and len(page.fields) > 1),
                    }
                    for index, field in enumerate(page.fields)
                ],
            }
            for number, page in enumerate(definition.pages)
        ]
        context["fee_lines"] = [
            {"item": item, "fee": fees.get(item.code), "quantity_field": definition.field(item.quantity_field or "")}
            for item in (definition.fee.items if definition.fee else ())
        ]
        try:
            validate_definition(draft.definition, fee_table=builder.fee_table(procedure))
            context["problems"] = []
        except DefinitionError as error:  # e.g. a fee line whose code has left the fee table since
            context["problems"] = list(error.issues)
    return render(request, "procedures/builder/overview.html", context)


@builder_view(["GET", "POST"])
def form_discard(request: HttpRequest, procedure_id: str) -> HttpResponse:
    procedure = _procedure(request, procedure_id)
    draft = _draft(procedure)
    if request.method == "POST":
        try:
            builder.form_draft_discard(
                procedure=procedure, actor=request.user, revision=request.POST.get("revision", ""), request=request
            )
        except ServiceError as error:
            _refusal(request, error)
        else:
            messages.success(request, _("下書きを破棄しました。"))
        return _overview(procedure)
    return render(request, "procedures/builder/discard.html", _base(procedure, draft))


@builder_view(["GET", "POST"])
def form_publish(request: HttpRequest, procedure_id: str) -> HttpResponse:
    procedure = _procedure(request, procedure_id)
    draft = _draft(procedure)
    if request.method == "POST":
        try:
            version = builder.form_draft_publish(
                procedure=procedure, actor=request.user, revision=request.POST.get("revision", ""), request=request
            )
        except ServiceError as error:
            _refusal(request, error)
        else:
            messages.success(request, _("第%(number)s版を公開しました。") % {"number": version.number})
            return HttpResponseRedirect(_url(procedure, "form_history"))
        return _overview(procedure)
    live = selectors.live_form(procedure)
    return render(
        request,
        "procedures/builder/publish.html",
        _base(procedure, draft, live=live, procedure_published=procedure.is_published),
    )


@require_GET
@staff_view(Perm.PROCEDURES_MANAGE)
@module_required
def form_history(request: HttpRequest, procedure_id: str) -> HttpResponse:
    procedure = _procedure(request, procedure_id)
    return render(
        request,
        "procedures/builder/history.html",
        {"procedure": procedure, "versions": selectors.form_versions(procedure)},
    )


@require_GET
@staff_view(Perm.PROCEDURES_MANAGE)
@module_required
def form_export(request: HttpRequest, procedure_id: str, number: int) -> HttpResponse:
    procedure = _procedure(request, procedure_id)
    version = selectors.form_version_get(procedure, number)
    text = builder.form_version_export(procedure=procedure, version=version, actor=request.user, request=request)
    response = HttpResponse(text, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{procedure.slug}-v{version.number}.json"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@builder_view(["GET", "POST"])
def form_import(request: HttpRequest, procedure_id: str) -> HttpResponse:
    procedure = _procedure(request, procedure_id)
    draft = selectors.form_draft(procedure)
    form = ImportForm(request.POST or None, request.FILES or None)
    issues: list[Any] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        raw = upload.read(builder.MAX_IMPORT_BYTES + 1)
        try:
            builder.form_draft_import(
                procedure=procedure,
                actor=request.user,
                raw=raw,
                revision=request.POST.get("revision") or None,
                request=request,
            )
        except ServiceError as error:
            issues = list(getattr(error, "issues", ()))
            form.add_error(
                "file",
                str(error.message)
                if not issues
                else _("申請書の定義に問題があります（%(count)s件）。") % {"count": len(issues)},
            )
        else:
            messages.success(request, _("ファイルを読み込み、下書きにしました。"))
            return _overview(procedure)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "procedures/builder/import.html", _base(procedure, draft, form=form, issues=issues), status=status
    )


# ---------------------------------------------------------------------------------------------------------
# Pages


@builder_view(["GET", "POST"])
def page_add(request: HttpRequest, procedure_id: str) -> HttpResponse:
    procedure = _procedure(request, procedure_id)
    draft = _draft(procedure)
    form = PageAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            builder.form_page_add(
                procedure=procedure,
                actor=request.user,
                revision=request.POST.get("revision", ""),
                page=form.page(),
                first_field=form.first_field(),
                request=request,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("ページを追加しました。"))
            return _overview(procedure, f"page-{form.cleaned_data['id']}")
    return render(
        request,
        "procedures/builder/page_form.html",
        _base(procedure, draft, form=form, adding=True),
        status=400 if form.is_bound else 200,
    )


@builder_view(["GET", "POST"])
def page_edit(request: HttpRequest, procedure_id: str, page_id: str) -> HttpResponse:
    procedure = _procedure(request, procedure_id)
    draft = _draft(procedure)
    definition = validate_definition(draft.definition)
    try:
        page = definition.page(page_id)
    except UnknownPageError as error:
        raise Http404 from error
    form = PageForm(request.POST or None, initial=PageForm.initial_from(page))
    if request.method == "POST" and form.is_valid():
        try:
            builder.form_page_update(
                procedure=procedure,
                actor=request.user,
                revision=request.POST.get("revision", ""),
                page_id=page_id,
                page=form.page(),
                request=request,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("ページを保存しました。"))
            return _overview(procedure, f"page-{form.cleaned_data['id']}")
    return render(
        request,
        "procedures/builder/page_form.html",
        _base(procedure, draft, form=form, page=page),
        status=400 if form.is_bound else 200,
    )


@require_POST
@staff_view(Perm.PROCEDURES_MANAGE)
@module_required
def page_action(request: HttpRequest, procedure_id: str, page_id: str, action: str) -> HttpResponse:
    procedure = _procedure(request, procedure_id)
    common: dict[str, Any] = {
        "procedure": procedure,
        "actor": request.user,
        "revision": request.POST.get("revision", ""),
        "page_id": page_id,
        "request": request,
    }
    try:
        if action in builder.MOVES:
            builder.form_page_move(direction=action, **common)
        elif action == "delete":
            builder.form_page_remove(**common)
            messages.success(request, _("ページを削除しました。"))
        else:
            raise Http404
    except ServiceError as error:
        _refusal(request, error)
    return _overview(procedure, f"page-{page_id}" if action != "delete" else "")


# ---------------------------------------------------------------------------------------------------------
# Fields


def _field_in(definition: FormDefinition, key: str) -> FieldDef:
    top, member = builder.split_key(key)
    field = definition.field(top)
    if field is not None and member is not None:
        field = field.member(member)
    if field is None:
        raise Http404
    return field


def _chosen_type(request: HttpRequest, allowed: tuple[str, ...], default: str | None = None) -> str | None:
    chosen = request.POST.get("type") if request.method == "POST" else request.GET.get("type")
    chosen = chosen or default
    return chosen if chosen in allowed else None


@builder_view(["GET", "POST"])
def field_add(request: HttpRequest, procedure_id: str, page_id: str) -> HttpResponse:
    return _field_add(request, procedure_id, page_id=page_id, group_id=None)


@builder_view(["GET", "POST"])
def member_add(request: HttpRequest, procedure_id: str, group_id: str) -> HttpResponse:
    return _field_add(request, procedure_id, page_id=None, group_id=group_id)


def _field_add(request: HttpRequest, procedure_id: str, *, page_id: str | None, group_id: str | None) -> HttpResponse:
    procedure = _procedure(request, procedure_id)
    draft = _draft(procedure)
    definition = validate_definition(draft.definition)
    if group_id is not None:
        group = definition.field(group_id)
        if group is None or group.type != "repeated_group":
            raise Http404
        page = definition.page_of(group_id)
        where = group.label.get()
    else:
        try:
            page = definition.page(page_id or "")
        except UnknownPageError as error:
            raise Http404 from error
        where = page.title.get()
    allowed = GROUP_MEMBER_TYPES if group_id else tuple(TYPE_LABELS)
    field_type = _chosen_type(request, tuple(allowed))
    if field_type is None:
        chooser = TypeChoiceForm(request.GET if "type" in request.GET else None, in_group=group_id is not None)
        chooser.is_valid()
        return render(
            request,
            "procedures/builder/field_type.html",
            _base(procedure, draft, chooser=chooser, where=where, page=page),
            status=400 if "type" in request.GET else 200,
        )
    form = FieldForm(request.POST or None, field_type=field_type, in_group=group_id is not None, creating=True)
    if request.method == "POST" and form.is_valid():
        try:
            builder.form_field_add(
                procedure=procedure,
                actor=request.user,
                revision=request.POST.get("revision", ""),
                page_id=page.id if page else "",
                field=form.definition(),
                group_id=group_id,
                request=request,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("質問を追加しました。"))
            return _overview(procedure, f"field-{group_id or form.cleaned_data['id']}")
    return render(
        request,
        "procedures/builder/field_form.html",
        _base(
            procedure,
            draft,
            form=form,
            field_type=field_type,
            type_label=_type_label(field_type),
            where=where,
            adding=True,
            page=page,
        ),
        status=400 if form.is_bound else 200,
    )


@builder_view(["GET", "POST"])
def field_edit(request: HttpRequest, procedure_id: str, key: str) -> HttpResponse:
    procedure = _procedure(request, procedure_id)
    draft = _draft(procedure)
    definition = validate_definition(draft.definition)
    field = _field_in(definition, key)
    in_group = "." in key
    allowed = GROUP_MEMBER_TYPES if in_group else tuple(TYPE_LABELS)
    field_type = _chosen_type(request, tuple(allowed), default=field.type) or field.type
    if field.type == "repeated_group" and field_type != "repeated_group":
        field_type = field.type  # a group keeps its type: its members would be lost
    form = FieldForm(
        request.POST or None, field_type=field_type, in_group=in_group, initial=FieldForm.initial_from(field)
    )
    if request.method == "POST" and form.is_valid():
        try:
            builder.form_field_update(
                procedure=procedure,
                actor=request.user,
                revision=request.POST.get("revision", ""),
                key=key,
                field=form.definition(),
                request=request,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("質問を保存しました。"))
            return _overview(procedure, f"field-{builder.split_key(key)[0]}")
    chooser = TypeChoiceForm(initial={"type": field_type}, in_group=in_group)
    return render(
        request,
        "procedures/builder/field_form.html",
        _base(
            procedure,
            draft,
            form=form,
            field=field,
            key=key,
            field_type=field_type,
            type_label=_type_label(field_type),
            chooser=chooser if field.type != "repeated_group" else None,
        ),
        status=400 if form.is_bound else 200,
    )


@require_POST
@staff_view(Perm.PROCEDURES_MANAGE)
@module_required
def field_action(request: HttpRequest, procedure_id: str, key: str, action: str) -> HttpResponse:
    procedure = _procedure(request, procedure_id)
    common: dict[str, Any] = {
        "procedure": procedure,
        "actor": request.user,
        "revision": request.POST.get("revision", ""),
        "key": key,
        "request": request,
    }
    try:
        if action in builder.MOVES:
            builder.form_field_move(direction=action, **common)
        elif action == "delete":
            builder.form_field_remove(**common)
            messages.success(request, _("質問を削除しました。"))
        else:
            raise Http404
    except ServiceError as error:
        _refusal(request, error)
    return _overview(procedure, f"field-{builder.split_key(key)[0]}" if action != "delete" else "")


# ---------------------------------------------------------------------------------------------------------
# Conditions


@builder_view(["GET", "POST"])
def condition_edit(request: HttpRequest, procedure_id: str, target: str, target_id: str) -> HttpResponse:
    procedure = _procedure(request, procedure_id)
    draft = _draft(procedure)
    definition = validate_definition(draft.definition)
    if target == "page":
        try:
            node: Any = definition.page(target_id)
        except UnknownPageError as error:
            raise Http404 from error
        name = node.title.get()
    elif target == "field" and definition.field(target_id) is not None:
        node = definition.field(target_id)
        name = node.label.get()
    else:
        raise Http404
    candidates = earlier_fields(definition, target, target_id)
    current = node.condition.to_dict() if node.condition else None
    parts = builder.condition_parts(current)
    chosen_id = request.POST.get("field") if request.method == "POST" else request.GET.get("field")
    chosen = next((f for f in candidates if f.id == chosen_id), None)
    leaf_form = ConditionLeafForm(request.POST or None, target=chosen) if chosen else None
    if request.method == "POST":
        action = request.POST.get("action", "")
        new: Any = "unchanged"
        if action == "clear":
            new = None
        elif parts is not None and action == "mode":
            new = builder.condition_compose(request.POST.get("mode", "all"), parts[1])
        elif parts is not None and action.startswith("remove:") and action[7:].isdigit():
            leaves = [leaf for index, leaf in enumerate(parts[1]) if index != int(action[7:])]
            new = builder.condition_compose(parts[0], leaves)
        elif parts is not None and action == "add" and leaf_form is not None and leaf_form.is_valid():
            mode = request.POST.get("mode", "") if request.POST.get("mode") in ("all", "any") else parts[0]
            new = builder.condition_compose(mode, [*parts[1], leaf_form.leaf()])
        if new != "unchanged":
            try:
                builder.form_condition_set(
                    procedure=procedure,
                    actor=request.user,
                    revision=request.POST.get("revision", ""),
                    target=target,
                    target_id=target_id,
                    condition=new,
                    request=request,
                )
            except ServiceError as error:
                if leaf_form is not None and action == "add":
                    leaf_form.add_error(None, str(error.message))
                else:
                    _refusal(request, error)
                    return HttpResponseRedirect(request.path)
            else:
                messages.success(request, _("表示する条件を保存しました。"))
                return HttpResponseRedirect(request.path)
    leaves_shown = []
    if parts is not None:
        for index in range(len(parts[1])):
            leaves_shown.append({"index": index, "text": describe_condition(definition, _leaf_condition(node, index))})
    context = _base(
        procedure,
        draft,
        node=node,
        target=target,
        target_id=target_id,
        name=name,
        candidates=candidates,
        chooser=FieldChoiceForm(initial={"field": chosen.id if chosen else ""}, candidates=candidates),
        chosen=chosen,
        leaf_form=leaf_form,
        parts=parts,
        leaves=leaves_shown,
        whole=describe_condition(definition, node.condition),
    )
    return render(
        request,
        "procedures/builder/condition.html",
        context,
        status=400 if leaf_form is not None and leaf_form.is_bound else 200,
    )


def _leaf_condition(node: Any, index: int) -> Any:
    condition = node.condition
    if condition.operator in ("all", "any"):
        return condition.children[index]
    return condition


# ---------------------------------------------------------------------------------------------------------
# Fees


def _fees(procedure: Procedure) -> list[Fee]:
    return list(Fee.objects.filter(municipality=procedure.municipality).order_by("code"))


@builder_view(["GET", "POST"])
def fee_edit(request: HttpRequest, procedure_id: str, index: int | None = None) -> HttpResponse:
    procedure = _procedure(request, procedure_id)
    draft = _draft(procedure)
    definition = validate_definition(draft.definition)
    items = definition.fee.items if definition.fee else ()
    initial: dict[str, Any] = {}
    if index is not None:
        if not 0 <= index < len(items):
            raise Http404
        item = items[index]
        label = item.label
        initial = {
            "code": item.code,
            "quantity_mode": "field" if item.quantity_field else "fixed",
            "quantity": item.quantity,
            "quantity_field": item.quantity_field or "",
            "label_ja": label.ja if label else "",
            "label_en": label.en if label else "",
        }
    form = FeeItemForm(request.POST or None, initial=initial, fees=_fees(procedure), definition=definition)
    if request.method == "POST" and form.is_valid():
        try:
            builder.form_fee_item_save(
                procedure=procedure,
                actor=request.user,
                revision=request.POST.get("revision", ""),
                index=index,
                item=form.item(),
                request=request,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("手数料を保存しました。"))
            return _overview(procedure, "fees")
    return render(
        request,
        "procedures/builder/fee_form.html",
        _base(procedure, draft, form=form, index=index, has_fees=bool(form.fee_codes)),
        status=400 if form.is_bound else 200,
    )


@require_POST
@staff_view(Perm.PROCEDURES_MANAGE)
@module_required
def fee_delete(request: HttpRequest, procedure_id: str, index: int) -> HttpResponse:
    procedure = _procedure(request, procedure_id)
    try:
        builder.form_fee_item_remove(
            procedure=procedure,
            actor=request.user,
            revision=request.POST.get("revision", ""),
            index=index,
            request=request,
        )
    except ServiceError as error:
        _refusal(request, error)
    else:
        messages.success(request, _("手数料の行を削除しました。"))
    return _overview(procedure, "fees")


# ---------------------------------------------------------------------------------------------------------
# Preview as a resident: the engine's page forms and summary; answers only in the session, no Submission


def _preview_version(procedure: Procedure) -> FormVersion:
    version = selectors.form_draft(procedure) or selectors.live_form(procedure)
    if version is None:
        raise Http404
    return version


def _preview_key(version: FormVersion) -> str:
    return f"{version.pk}:{builder.revision_of(version.definition)}"


def _preview_answers(request: HttpRequest, version: FormVersion) -> dict[str, Any]:
    stored = request.session.get(SESSION_PREVIEW) or {}
    return dict(stored.get("answers", {})) if stored.get("key") == _preview_key(version) else {}


def _preview_store(request: HttpRequest, version: FormVersion, answers: dict[str, Any]) -> None:
    request.session[SESSION_PREVIEW] = {"key": _preview_key(version), "answers": answers}


@builder_view(["GET", "POST"])
def preview_start(request: HttpRequest, procedure_id: str) -> HttpResponse:
    procedure = _procedure(request, procedure_id)
    version = _preview_version(procedure)
    if request.method == "POST":
        _preview_store(request, version, {})
    definition = validate_definition(version.definition)
    first = next_page_id(definition, _preview_answers(request, version), None)
    if first is None:
        return HttpResponseRedirect(_url(procedure, "form_preview_check"))
    return HttpResponseRedirect(_url(procedure, "form_preview_page", page_id=first))


@builder_view(["GET", "POST"])
def preview_page(request: HttpRequest, procedure_id: str, page_id: str) -> HttpResponse:
    procedure = _procedure(request, procedure_id)
    version = _preview_version(procedure)
    definition = validate_definition(version.definition)
    answers = _preview_answers(request, version)
    if page_id not in {page.id for page in visible_pages(definition, answers)}:
        raise Http404
    form = page_form(
        definition,
        page_id,
        data=request.POST if request.method == "POST" else None,
        files=request.FILES if request.method == "POST" else None,
        initial=answers,
        language=get_language(),
    )
    if request.method == "POST" and form.is_valid():
        answers = form.merge_into(answers)
        _preview_store(request, version, answers)
        following = next_page_id(definition, answers, page_id)
        if following is None:
            return HttpResponseRedirect(_url(procedure, "form_preview_check"))
        return HttpResponseRedirect(_url(procedure, "form_preview_page", page_id=following))
    back = previous_page_id(definition, answers, page_id)
    page = definition.page(page_id)
    return render(
        request,
        "procedures/builder/preview_page.html",
        {
            "procedure": procedure,
            "version": version,
            "form": form,
            "page_title": page.title.get(get_language()),
            "page_hint": page.hint.get(get_language()) if page.hint else "",
            "back_url": _url(procedure, "form_preview_page", page_id=back) if back else None,
        },
        status=400 if request.method == "POST" and form.action is None else 200,
    )


@require_GET
@staff_view(Perm.PROCEDURES_MANAGE)
@module_required
def preview_check(request: HttpRequest, procedure_id: str) -> HttpResponse:
    procedure = _procedure(request, procedure_id)
    version = _preview_version(procedure)
    definition = validate_definition(version.definition)
    answers = _preview_answers(request, version)
    table = builder.fee_table(procedure)
    missing = unknown_fee_codes(definition, table)
    quote = None if missing else compute_fee(definition, answers, table, language=get_language())
    sections = [
        {"section": section, "change_url": _url(procedure, "form_preview_page", page_id=section.page_id)}
        for section in summarise(definition, answers, language=get_language())
    ]
    return render(
        request,
        "procedures/builder/preview_check.html",
        {"procedure": procedure, "version": version, "sections": sections, "quote": quote, "missing": missing},
    )
