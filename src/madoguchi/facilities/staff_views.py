"""Back office of 公共施設予約 (/<slug>/staff/facilities/).

`facilities.manage`: the catalogue (facilities, rooms, units, fees, equipment, 減免区分), registrations
(approve, reject, suspend), 減免 decisions, blocking and moving. `facilities.counter`: the day's bookings
(print, CSV), booking on behalf of phone and counter users, 窓口払い, cancellation, no-show, QR check-in.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from madoguchi.accounts.permissions import Perm
from madoguchi.audit.services import audit_record
from madoguchi.core.csvexport import stream_csv
from madoguchi.core.errors import ServiceError, apply_service_error
from madoguchi.procedures.uploads import refused_in_request
from madoguchi.staff.decorators import staff_view

from . import payment, selectors, services
from .forms import (
    BlockForm,
    DayForm,
    EquipmentForm,
    FacilityForm,
    MoveForm,
    PhotoForm,
    PhotoTextForm,
    ReductionForm,
    RegistrationDecisionForm,
    RoomForm,
    StaffBookingForm,
    TimeSlotForm,
    new_form_token,
)
from .manifest import module_required
from .models import Equipment, Facility, Reduction, RegistrationStatus, Room, TimeSlot
from .photos import photo_add, photo_limit, photo_move, photo_remove, photo_update


def _m(request: HttpRequest) -> Any:
    return request.municipality  # type: ignore[attr-defined]


@require_GET
@staff_view(Perm.FACILITIES_COUNTER)
@module_required
def home(request: HttpRequest) -> HttpResponse:
    municipality = _m(request)
    return render(
        request,
        "facilities/staff_home.html",
        {
            "facilities": selectors.facilities_for_staff(municipality),
            "pending_registrations": selectors.registrations_for_staff(
                municipality, status=RegistrationStatus.PENDING
            ).count(),
            "pending_reductions": selectors.reductions_pending(municipality),
            "refunds_due": payment.payments_needing_refund(municipality),
            "reductions": selectors.reductions_available(municipality),
            "can_manage": Perm.FACILITIES_MANAGE in request.staff_permissions,  # type: ignore[attr-defined]
        },
    )


def _edit(
    request: HttpRequest, form_class: Any, instance: Any, title: str, back: str, **back_kwargs: Any
) -> HttpResponse:
    municipality = _m(request)
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.catalogue_save(
                instance=form.instance, municipality=municipality, actor=request.user, request=request
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("保存しました。"))
            return redirect(back, municipality_slug=municipality.slug, **back_kwargs)
    return render(request, "facilities/staff_edit.html", {"form": form, "title": title})


@require_http_methods(["GET", "POST"])
@staff_view(Perm.FACILITIES_MANAGE)
@module_required
def facility_new(request: HttpRequest) -> HttpResponse:
    return _edit(request, FacilityForm, Facility(municipality=_m(request)), _("施設を追加"), "facilities_staff:home")


@require_http_methods(["GET", "POST"])
@staff_view(Perm.FACILITIES_MANAGE)
@module_required
def facility_edit(request: HttpRequest, facility_id: str) -> HttpResponse:
    facility = selectors.facility_for_staff(_m(request), facility_id)
    return _edit(
        request, FacilityForm, facility, _("施設の編集"), "facilities_staff:facility", facility_id=facility.public_id
    )


@require_GET
@staff_view(Perm.FACILITIES_COUNTER)
@module_required
def facility(request: HttpRequest, facility_id: str) -> HttpResponse:
    item = selectors.facility_for_staff(_m(request), facility_id)
    return render(
        request,
        "facilities/staff_facility.html",
        {"facility": item, "can_manage": Perm.FACILITIES_MANAGE in request.staff_permissions},  # type: ignore[attr-defined]
    )


@require_http_methods(["GET", "POST"])
@staff_view(Perm.FACILITIES_MANAGE)
@module_required
def room_new(request: HttpRequest, facility_id: str) -> HttpResponse:
    item = selectors.facility_for_staff(_m(request), facility_id)
    return _edit(
        request,
        RoomForm,
        Room(municipality=_m(request), facility=item),
        _("部屋・区画を追加"),
        "facilities_staff:facility",
        facility_id=item.public_id,
    )


@require_http_methods(["GET", "POST"])
@staff_view(Perm.FACILITIES_MANAGE)
@module_required
def room_edit(request: HttpRequest, room_id: str) -> HttpResponse:
    room = selectors.room_for_staff(_m(request), room_id)
    return _edit(
        request, RoomForm, room, _("部屋・区画の編集"), "facilities_staff:facility", facility_id=room.facility.public_id
    )


@require_http_methods(["GET", "POST"])
@staff_view(Perm.FACILITIES_MANAGE)
@module_required
def slot_edit(request: HttpRequest, room_id: str, slot_id: int | None = None) -> HttpResponse:
    room = selectors.room_for_staff(_m(request), room_id)
    if slot_id is None:
        instance = TimeSlot(municipality=_m(request), room=room)
    else:
        from madoguchi.core.tenancy import get_object_in_municipality

        instance = get_object_in_municipality(TimeSlot.objects.filter(room=room), _m(request), pk=slot_id)
    return _edit(
        request,
        TimeSlotForm,
        instance,
        _("予約の区分と使用料"),
        "facilities_staff:facility",
        facility_id=room.facility.public_id,
    )


@require_http_methods(["GET", "POST"])
@staff_view(Perm.FACILITIES_MANAGE)
@module_required
def equipment_edit(request: HttpRequest, facility_id: str, equipment_id: int | None = None) -> HttpResponse:
    item = selectors.facility_for_staff(_m(request), facility_id)
    if equipment_id is None:
        instance = Equipment(municipality=_m(request), facility=item)
    else:
        from madoguchi.core.tenancy import get_object_in_municipality

        instance = get_object_in_municipality(Equipment.objects.filter(facility=item), _m(request), pk=equipment_id)
    return _edit(
        request, EquipmentForm, instance, _("附帯設備"), "facilities_staff:facility", facility_id=item.public_id
    )


@require_http_methods(["GET", "POST"])
@staff_view(Perm.FACILITIES_MANAGE)
@module_required
def reduction_edit(request: HttpRequest, reduction_id: int | None = None) -> HttpResponse:
    if reduction_id is None:
        instance = Reduction(municipality=_m(request))
    else:
        from madoguchi.core.tenancy import get_object_in_municipality

        instance = get_object_in_municipality(Reduction.objects.all(), _m(request), pk=reduction_id)
    return _edit(request, ReductionForm, instance, _("減免区分"), "facilities_staff:home")


# --- Registrations -----------------------------------------------------------------------------------------


@require_GET
@staff_view(Perm.FACILITIES_MANAGE)
@module_required
def registrations(request: HttpRequest) -> HttpResponse:
    municipality = _m(request)
    status = request.GET.get("status", "")
    if status not in RegistrationStatus.values:
        status = ""
    items = list(selectors.registrations_for_staff(municipality, status=status)[:200])
    audit_record(
        action="personal_data.search",
        actor=request.user,
        municipality=municipality,
        object_type="facility_registration",
        request=request,
        details={"status": status, "count": len(items), "fields": ["name", "representative", "phone", "address"]},
    )
    return render(
        request,
        "facilities/staff_registrations.html",
        {"items": items, "status": status, "statuses": RegistrationStatus.choices},
    )


@require_POST
@staff_view(Perm.FACILITIES_MANAGE)
@module_required
def registration_decide(request: HttpRequest, registration_id: str) -> HttpResponse:
    municipality = _m(request)
    registration = selectors.registration_for_staff(municipality, registration_id)
    form = RegistrationDecisionForm(request.POST)
    if form.is_valid():
        try:
            services.registration_decide(
                registration=registration,
                action=form.cleaned_data["action"],
                actor=request.user,
                note=form.cleaned_data["note"],
                request=request,
            )
        except ServiceError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("登録の状態を変更しました。"))
    else:
        messages.error(request, _("その操作はできません。"))
    return redirect("facilities_staff:registrations", municipality_slug=municipality.slug)


# --- Bookings ----------------------------------------------------------------------------------------------


def _day(request: HttpRequest) -> tuple[DayForm, datetime.date]:
    form = DayForm(request.GET or None)
    day = timezone.localdate()
    if form.is_bound and form.is_valid() and form.cleaned_data["date"]:
        day = form.cleaned_data["date"]
    return form, day


@require_GET
@staff_view(Perm.FACILITIES_COUNTER)
@module_required
def day(request: HttpRequest, facility_id: str) -> HttpResponse:
    municipality = _m(request)
    item = selectors.facility_for_staff(municipality, facility_id)
    form, chosen = _day(request)
    bookings = selectors.bookings_for_day(municipality, item, chosen)
    audit_record(
        action="personal_data.view",
        actor=request.user,
        municipality=municipality,
        object_type="facility_day",
        object_id=str(item.public_id),
        request=request,
        details={"date": chosen.isoformat(), "count": len(bookings), "fields": ["registration.name", "phone"]},
    )
    template = "facilities/staff_day_print.html" if request.GET.get("print") == "1" else "facilities/staff_day.html"
    return render(request, template, {"facility": item, "form": form, "day": chosen, "bookings": bookings})


@require_GET
@staff_view(Perm.FACILITIES_COUNTER)
@module_required
def day_csv(request: HttpRequest, facility_id: str) -> StreamingHttpResponse:
    municipality = _m(request)
    item = selectors.facility_for_staff(municipality, facility_id)
    _form, chosen = _day(request)
    bookings = selectors.bookings_for_day(municipality, item, chosen)
    audit_record(
        action="facilities.day_exported",
        actor=request.user,
        municipality=municipality,
        object_type="facility_day",
        object_id=str(item.public_id),
        request=request,
        details={"date": chosen.isoformat(), "count": len(bookings)},
    )
    header = [
        _("予約番号"),
        _("部屋・区画"),
        _("利用日"),
        _("時間帯"),
        _("名義"),
        _("電話番号"),
        _("利用人数"),
        _("利用目的"),
        _("状態"),
        _("合計"),
        _("お支払い"),
        _("受付"),
    ]
    rows = (
        [
            b.number,
            b.room.name,
            b.date.isoformat(),
            " ".join(f"{u.slot.label} {u.slot.starts_at:%H:%M}-{u.slot.ends_at:%H:%M}" for u in b.units.all()),
            b.registration.name if b.registration else b.staff_note,
            b.registration.phone if b.registration else "",
            b.attendees,
            b.purpose,
            b.get_status_display(),
            b.fee_total,
            b.get_payment_method_display(),
            timezone.localtime(b.checked_in_at).strftime("%H:%M") if b.checked_in_at else "",
        ]
        for b in bookings
    )
    response = StreamingHttpResponse(stream_csv([str(h) for h in header], rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{item.slug}-{chosen.isoformat()}.csv"'
    return response


@require_GET
@staff_view(Perm.FACILITIES_COUNTER)
@module_required
def booking(request: HttpRequest, booking_id: str) -> HttpResponse:
    return _booking_page(request, booking_id)


def _booking_page(
    request: HttpRequest, booking_id: str, *, move_form: MoveForm | None = None, status: int = 200
) -> HttpResponse:
    municipality = _m(request)
    item = selectors.booking_for_staff(municipality, booking_id)
    if item.registration is not None:
        audit_record(
            action="personal_data.view",
            actor=request.user,
            municipality=municipality,
            object_type="facility_booking",
            object_id=str(item.public_id),
            request=request,
            details={"fields": ["registration.name", "registration.phone", "registration.address"]},
        )
    return render(
        request,
        "facilities/staff_booking.html",
        {
            "booking": item,
            "move_form": move_form or MoveForm(room=item.room, initial={"room": item.room, "date": item.date}),
            "can_manage": Perm.FACILITIES_MANAGE in request.staff_permissions,  # type: ignore[attr-defined]
            "refund": services.refund_for(item, today=timezone.localdate()),
            "payment": payment.booking_payment_state(item),
        },
        status=status,
    )


_ACTIONS = {
    "pay_counter": (
        Perm.FACILITIES_COUNTER,
        lambda b, r: services.booking_record_counter_payment(b, actor=r.user, request=r),
        _("窓口でのお支払いを記録しました。"),
    ),
    "cancel": (
        Perm.FACILITIES_COUNTER,
        lambda b, r: services.booking_cancel(
            b, actor=r.user, request=r, by_staff=True, full_refund=r.POST.get("full_refund") == "1"
        ),
        _("予約を取り消しました。"),
    ),
    "no_show": (
        Perm.FACILITIES_COUNTER,
        lambda b, r: services.booking_mark_no_show(b, actor=r.user, request=r),
        _("無断キャンセルとして記録しました。"),
    ),
    "check_in": (
        Perm.FACILITIES_COUNTER,
        lambda b, r: services.booking_check_in(b, actor=r.user, request=r),
        _("受付しました。"),
    ),
    "approve_reduction": (
        Perm.FACILITIES_MANAGE,
        lambda b, r: services.booking_reduction_decide(b, approve=True, actor=r.user, request=r),
        _("減免を承認しました。"),
    ),
    "reject_reduction": (
        Perm.FACILITIES_MANAGE,
        lambda b, r: services.booking_reduction_decide(b, approve=False, actor=r.user, request=r),
        _("減免を不承認にしました。"),
    ),
}


@require_POST
@staff_view(Perm.FACILITIES_COUNTER)
@module_required
def booking_action(request: HttpRequest, booking_id: str) -> HttpResponse:
    municipality = _m(request)
    item = selectors.booking_for_staff(municipality, booking_id)
    action = _ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        messages.error(request, _("その操作はできません。"))
    elif action[0] not in request.staff_permissions:  # type: ignore[attr-defined]
        return render(request, "staff/forbidden.html", status=403)
    else:
        try:
            action[1](item, request)
        except ServiceError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, str(action[2]))
    return redirect("facilities_staff:booking", municipality_slug=municipality.slug, booking_id=item.public_id)


@require_POST
@staff_view(Perm.FACILITIES_MANAGE)
@module_required
def booking_move(request: HttpRequest, booking_id: str) -> HttpResponse:
    municipality = _m(request)
    item = selectors.booking_for_staff(municipality, booking_id)
    form = MoveForm(request.POST, room=item.room)
    if form.is_valid():
        try:
            services.booking_move(
                item,
                room=form.cleaned_data["room"],
                date=form.cleaned_data["date"],
                slots=list(form.cleaned_data["slots"]),
                actor=request.user,
                request=request,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("予約を変更しました。"))
            return redirect("facilities_staff:booking", municipality_slug=municipality.slug, booking_id=item.public_id)
    return _booking_page(request, booking_id, move_form=form, status=400)


@require_http_methods(["GET", "POST"])
@staff_view(Perm.FACILITIES_COUNTER)
@module_required
def book_on_behalf(request: HttpRequest, room_id: str) -> HttpResponse:
    """Phone and counter bookings: staff pick an approved registration and book for them."""
    municipality = _m(request)
    room = selectors.room_for_staff(municipality, room_id)
    query = request.GET.get("q", "")[:50]
    candidates = list(selectors.registrations_search(municipality, query))
    if request.method == "POST":
        form = StaffBookingForm(
            request.POST,
            room=room,
            registrations=list(selectors.registrations_for_staff(municipality, status=RegistrationStatus.APPROVED)),
            reductions=selectors.reductions_available(municipality),
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = services.booking_create(
                    municipality=municipality,
                    room=room,
                    date=data["date"],
                    slots=list(data["slots"]),
                    registration=data["registration"],
                    actor=request.user,
                    request=request,
                    purpose=data["purpose"],
                    attendees=data["attendees"],
                    is_commercial=data["is_commercial"],
                    equipment=list(data.get("equipment") or []),
                    reduction=data["reduction"],
                    reduction_reason=data["reduction_reason"],
                    channel=data["channel"],
                    request_token=data["token"],
                )
            except ServiceError as error:
                apply_service_error(form, error)
            else:
                messages.success(request, _("予約を登録しました。"))
                return redirect(
                    "facilities_staff:booking", municipality_slug=municipality.slug, booking_id=created.public_id
                )
    else:
        form = StaffBookingForm(
            room=room,
            registrations=candidates,
            reductions=selectors.reductions_available(municipality),
            initial={"token": new_form_token(), "attendees": 1, "channel": "phone"},
        )
    return render(request, "facilities/staff_book.html", {"form": form, "room": room, "query": query})


@require_http_methods(["GET", "POST"])
@staff_view(Perm.FACILITIES_MANAGE)
@module_required
def block(request: HttpRequest, room_id: str) -> HttpResponse:
    municipality = _m(request)
    room = selectors.room_for_staff(municipality, room_id)
    form = BlockForm(request.POST or None, room=room)
    if request.method == "POST" and form.is_valid():
        try:
            services.booking_block(
                municipality=municipality,
                room=room,
                date=form.cleaned_data["date"],
                slots=list(form.cleaned_data["slots"]),
                actor=request.user,
                note=form.cleaned_data["note"],
                request=request,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("利用不可にしました。"))
            return redirect(
                "facilities_staff:facility", municipality_slug=municipality.slug, facility_id=room.facility.public_id
            )
    return render(request, "facilities/staff_edit.html", {"form": form, "title": _("枠を利用不可にする")})


@require_http_methods(["GET", "POST"])
@staff_view(Perm.FACILITIES_COUNTER)
@module_required
def checkin(request: HttpRequest, token: str) -> HttpResponse:
    """Where the resident's QR code points: staff see the booking and confirm the check-in."""
    municipality = _m(request)
    if len(token) > 64:
        from django.http import Http404

        raise Http404
    item = selectors.booking_by_checkin_token(municipality, token)
    return redirect("facilities_staff:booking", municipality_slug=municipality.slug, booking_id=item.public_id)


@require_http_methods(["GET", "POST"])
@staff_view(Perm.FACILITIES_MANAGE)
@module_required
def photos(request: HttpRequest, facility_id: str) -> HttpResponse:
    """The facility's photos: add one (file + description), change descriptions, reorder, remove."""
    item = selectors.facility_for_staff(_m(request), facility_id)
    form = PhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        refused = refused_in_request(request).get("image")
        if refused:
            form.is_valid()
            form.add_error("image", refused)
        elif form.is_valid():
            try:
                photo_add(
                    facility=item,
                    upload=form.cleaned_data["image"],
                    alt=form.cleaned_data["alt"],
                    alt_en=form.cleaned_data["alt_en"],
                    actor=request.user,
                    request=request,
                )
            except ServiceError as error:
                apply_service_error(form, error)
            else:
                messages.success(request, _("写真を追加しました。"))
                return redirect(
                    "facilities_staff:photos", municipality_slug=_m(request).slug, facility_id=item.public_id
                )
    return _photos_page(request, item, form, status=400 if form.is_bound and form.errors else 200)


def _photos_page(
    request: HttpRequest, facility: Facility, form: PhotoForm, *, status: int, describe_error: Any = None
) -> HttpResponse:
    return render(
        request,
        "facilities/staff_photos.html",
        {
            "facility": facility,
            "form": form,
            "photos": list(facility.photos.all()),
            "limit": photo_limit(),
            "describe_error": describe_error,
        },
        status=status,
    )


@require_POST
@staff_view(Perm.FACILITIES_MANAGE)
@module_required
def photo_action(request: HttpRequest, photo_id: str) -> HttpResponse:
    """One photo: `action` = describe (with alt, alt_en), earlier, later or remove."""
    photo = selectors.photo_for_staff(_m(request), photo_id)
    facility = photo.facility
    action = request.POST.get("action", "")
    back = redirect("facilities_staff:photos", municipality_slug=_m(request).slug, facility_id=facility.public_id)
    if action == "remove":
        photo_remove(photo=photo, actor=request.user, request=request)
        messages.success(request, _("写真を削除しました。"))
    elif action in ("earlier", "later"):
        photo_move(photo=photo, offset=-1 if action == "earlier" else 1, actor=request.user, request=request)
        messages.success(request, _("写真の順番を変えました。"))
    elif action == "describe":
        form = PhotoTextForm(request.POST)
        error: str | None = None
        if form.is_valid():
            try:
                photo_update(
                    photo=photo,
                    alt=form.cleaned_data["alt"],
                    alt_en=form.cleaned_data["alt_en"],
                    actor=request.user,
                    request=request,
                )
            except ServiceError as refused:
                error = str(refused.message)
        else:
            error = str(next(iter(form.errors.values()))[0])
        if error:
            # Back to the photos page with the typed text kept at the photo it belongs to.
            typed = {"alt": request.POST.get("alt", "")[:400], "alt_en": request.POST.get("alt_en", "")[:400]}
            return _photos_page(
                request,
                facility,
                PhotoForm(),
                status=400,
                describe_error={"photo": photo.pk, "message": error, **typed},
            )
        messages.success(request, _("写真の説明を保存しました。"))
    else:
        messages.error(request, _("操作を選んでください。"))
    return back
