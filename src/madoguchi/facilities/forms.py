"""Forms of the facilities module. Querysets are always this municipality's rows, so another municipality's
id is simply an invalid choice."""

from __future__ import annotations

import re
import secrets
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from madoguchi.core.forms import JapaneseDateField, KatakanaField, PhoneNumberField

from .models import (
    Equipment,
    Facility,
    FacilityKind,
    Reduction,
    Registration,
    RegistrationKind,
    Room,
    TimeSlot,
)

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


def _choice(form: forms.Form, name: str) -> forms.ModelChoiceField:
    """A model choice field of the form, typed (single and multiple choice fields alike)."""
    return cast(forms.ModelChoiceField, form.fields[name])


def slot_label(slot: TimeSlot) -> str:
    return str(
        _("%(label)s %(start)s–%(end)s（%(fee)s円）")
        % {
            "label": slot.display_label,
            "start": f"{slot.starts_at:%H:%M}",
            "end": f"{slot.ends_at:%H:%M}",
            "fee": f"{slot.fee:,}",
        }
    )


class FacilityFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("種別"), required=False)
    area = forms.ChoiceField(label=_("地区"), required=False)
    capacity = forms.IntegerField(
        label=_("利用人数"),
        required=False,
        min_value=1,
        max_value=100000,
        help_text=_("この人数以上が入れる部屋のある施設を表示します。"),
        error_messages={
            "invalid": _("利用人数は半角数字で入力してください。"),
            "min_value": _("利用人数は1以上にしてください。"),
            "max_value": _("利用人数は100000以下にしてください。"),
        },
    )
    date = JapaneseDateField(
        label=_("利用日"),
        required=False,
        help_text=_("例：令和8年5月10日、2026-05-10。空きのある施設だけを表示します。"),
    )

    def __init__(self, *args: Any, areas: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = [("", _("すべて")), *FacilityKind.choices]
        cast(forms.ChoiceField, self.fields["area"]).choices = [("", _("すべて")), *((area, area) for area in areas)]


class BookingForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    date = JapaneseDateField(label=_("利用日"), help_text=_("例：令和8年5月10日、2026-05-10"))
    slots: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("時間帯"),
        queryset=TimeSlot.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("利用する時間帯を1つ以上選んでください。"),
            "invalid_choice": _("選んだ時間帯はこの部屋にありません。"),
            "invalid_pk_value": _("選んだ時間帯はこの部屋にありません。"),
        },
    )
    registration: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("予約する名義"),
        queryset=Registration.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": _("この名義では予約できません。")},
    )
    attendees = forms.IntegerField(
        label=_("利用人数"),
        min_value=1,
        max_value=100000,
        error_messages={
            "required": _("利用人数を入力してください。"),
            "invalid": _("利用人数は半角数字で入力してください。"),
            "min_value": _("利用人数は1以上にしてください。"),
            "max_value": _("利用人数は100000以下にしてください。"),
        },
    )
    purpose = forms.CharField(
        label=_("利用目的"),
        max_length=200,
        error_messages={
            "required": _("利用目的を入力してください。"),
            "max_length": _("利用目的は200文字以内で入力してください。"),
        },
    )
    is_commercial = forms.BooleanField(label=_("営利目的で利用する（入場料・販売などがある）"), required=False)
    equipment: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("附帯設備"),
        queryset=Equipment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("選んだ附帯設備はこの施設にありません。"),
            "invalid_pk_value": _("選んだ附帯設備はこの施設にありません。"),
        },
    )
    reduction: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("減免"),
        queryset=Reduction.objects.none(),
        required=False,
        empty_label=_("申請しない"),
        help_text=_("減免は部屋の使用料に適用されます（附帯設備の料金には適用されません）。"),
        error_messages={"invalid_choice": _("選んだ減免区分は使えません。")},
    )
    reduction_reason = forms.CharField(
        label=_("減免を申請する理由"),
        max_length=400,
        required=False,
        error_messages={"max_length": _("減免を申請する理由は400文字以内で入力してください。")},
    )

    def __init__(
        self,
        *args: Any,
        room: Room,
        registrations: list[Registration],
        reductions: Any,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.room = room
        slots = _choice(self, "slots")
        slots.queryset = TimeSlot.objects.filter(room=room, is_active=True).order_by("starts_at")
        slots.label_from_instance = slot_label  # type: ignore[method-assign,assignment]
        holder = _choice(self, "registration")
        holder.queryset = Registration.objects.filter(pk__in=[r.pk for r in registrations])
        holder.label_from_instance = lambda reg: str(  # type: ignore[method-assign,assignment]
            _("%(name)s（%(kind)s）") % {"name": reg.name, "kind": reg.get_kind_display()}
        )
        equipment = _choice(self, "equipment")
        equipment.queryset = Equipment.objects.filter(facility=room.facility, is_active=True)
        equipment.label_from_instance = lambda item: str(  # type: ignore[method-assign,assignment]
            _("%(name)s（%(fee)s円）") % {"name": item.display_name, "fee": f"{item.fee:,}"}
        )
        reduction = _choice(self, "reduction")
        reduction.queryset = reductions
        reduction.label_from_instance = lambda red: str(  # type: ignore[method-assign,assignment]
            _("%(name)s（%(percent)s%%）") % {"name": red.display_name, "percent": red.percent}
        )
        if not equipment.queryset.exists():
            del self.fields["equipment"]

    def clean_token(self) -> str:
        token = self.cleaned_data["token"]
        if not TOKEN_RE.match(token):
            raise forms.ValidationError(_("画面の有効期限が切れました。もう一度お試しください。"))
        return token

    def clean_attendees(self) -> int:
        value = self.cleaned_data["attendees"]
        if value > self.room.capacity:
            raise forms.ValidationError(
                _("利用人数は定員（%(capacity)s人）以下にしてください。") % {"capacity": self.room.capacity}
            )
        return value


class StaffBookingForm(BookingForm):
    channel = forms.ChoiceField(
        label=_("受付方法"), choices=[("phone", _("電話")), ("counter", _("窓口"))], widget=forms.RadioSelect
    )


class BlockForm(forms.Form):
    date = JapaneseDateField(label=_("日付"), help_text=_("例：令和8年5月10日、2026-05-10"))
    slots: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("時間帯"),
        queryset=TimeSlot.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("時間帯を1つ以上選んでください。"),
            "invalid_choice": _("選んだ時間帯はこの部屋にありません。"),
            "invalid_pk_value": _("選んだ時間帯はこの部屋にありません。"),
        },
    )
    note = forms.CharField(
        label=_("理由（点検・市の行事など）"),
        max_length=400,
        error_messages={
            "required": _("利用不可にする理由を入力してください。"),
            "max_length": _("理由は400文字以内で入力してください。"),
        },
    )

    def __init__(self, *args: Any, room: Room, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _choice(self, "slots").queryset = TimeSlot.objects.filter(room=room, is_active=True).order_by("starts_at")


class MoveForm(BlockForm):
    note = None  # type: ignore[assignment]
    room: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("部屋・区画"), queryset=Room.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, room: Room, **kwargs: Any):
        super().__init__(*args, room=room, **kwargs)
        _choice(self, "room").queryset = Room.objects.filter(facility=room.facility)
        # Units of every room of the facility; the service checks they belong to the chosen room.
        moved = _choice(self, "slots")
        moved.queryset = TimeSlot.objects.filter(room__facility=room.facility, is_active=True)
        moved.label_from_instance = lambda slot: f"{slot.room.name} {slot}"  # type: ignore[method-assign,assignment]


class RegistrationForm(forms.Form):
    kind = forms.ChoiceField(label=_("登録の種類"), choices=RegistrationKind.choices, widget=forms.RadioSelect)
    name = forms.CharField(
        label=_("氏名または団体名"),
        max_length=100,
        error_messages={
            "required": _("氏名または団体名を入力してください。"),
            "max_length": _("氏名または団体名は100文字以内で入力してください。"),
        },
    )
    name_kana = KatakanaField(label=_("フリガナ"), max_length=200)
    representative = forms.CharField(
        label=_("代表者氏名（団体のみ）"),
        max_length=100,
        required=False,
        error_messages={"max_length": _("代表者氏名は100文字以内で入力してください。")},
    )
    members_count = forms.IntegerField(
        label=_("構成員数（団体のみ）"),
        min_value=1,
        max_value=100000,
        required=False,
        error_messages={
            "invalid": _("構成員数は半角数字で入力してください。"),
            "min_value": _("構成員数は1以上にしてください。"),
            "max_value": _("構成員数は100000以下にしてください。"),
        },
    )
    resident_members_count = forms.IntegerField(
        label=_("うち市内在住・在勤・在学の人数"),
        min_value=0,
        max_value=100000,
        required=False,
        help_text=_("個人の場合は、市内在住・在勤・在学なら1、そうでなければ0を入力してください。"),
        error_messages={
            "invalid": _("人数は半角数字で入力してください。"),
            "min_value": _("人数は0以上にしてください。"),
            "max_value": _("人数は100000以下にしてください。"),
        },
    )
    phone = PhoneNumberField(label=_("電話番号"))
    address = forms.CharField(
        label=_("住所"),
        max_length=200,
        error_messages={
            "required": _("住所を入力してください。"),
            "max_length": _("住所は200文字以内で入力してください。"),
        },
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == RegistrationKind.GROUP:
            if not data.get("representative"):
                self.add_error("representative", _("団体の場合は代表者氏名を入力してください。"))
            if not data.get("members_count"):
                self.add_error("members_count", _("団体の場合は構成員数を入力してください。"))
        if data.get("resident_members_count") is None:
            self.add_error("resident_members_count", _("市内在住・在勤・在学の人数を入力してください。"))
        elif data.get("kind") == RegistrationKind.INDIVIDUAL and data["resident_members_count"] > 1:
            self.add_error("resident_members_count", _("個人の場合は0か1を入力してください。"))
        return data


class RegistrationDecisionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("approve", _("承認")), ("reject", _("不承認")), ("suspend", _("利用停止"))], widget=forms.HiddenInput
    )
    note = forms.CharField(label=_("理由・メモ"), max_length=400, required=False)


class FacilityForm(forms.ModelForm):
    class Meta:
        model = Facility
        fields = [
            "slug",
            "name",
            "name_kana",
            "name_en",
            "kind",
            "area",
            "postal_code",
            "address_prefecture",
            "address_city",
            "address_town",
            "address_rest",
            "address_building",
            "latitude",
            "longitude",
            "phone",
            "open_weekdays",
            "opens_at",
            "closes_at",
            "closed_on_holidays",
            "closed_year_end",
            "barrier_free",
            "barrier_free_en",
            "access",
            "access_en",
            "parking",
            "description",
            "description_en",
            "nonresident_multiplier",
            "commercial_multiplier",
            "refund_table",
            "booking_window_days",
            "is_published",
            "online_booking",
        ]


class RoomForm(forms.ModelForm):
    class Meta:
        model = Room
        fields = ["name", "name_en", "capacity", "area_m2", "equipment_note", "unit_kind", "sort_order", "is_bookable"]


class TimeSlotForm(forms.ModelForm):
    class Meta:
        model = TimeSlot
        fields = ["label", "label_en", "starts_at", "ends_at", "fee", "is_active"]
        widgets = {"starts_at": forms.TimeInput(format="%H:%M"), "ends_at": forms.TimeInput(format="%H:%M")}


class EquipmentForm(forms.ModelForm):
    class Meta:
        model = Equipment
        fields = ["name", "name_en", "fee", "is_active"]


class ReductionForm(forms.ModelForm):
    class Meta:
        model = Reduction
        fields = ["name", "name_en", "percent", "requires_approval", "is_active"]


class DayForm(forms.Form):
    date = JapaneseDateField(label=_("日付"), required=False)


class PhotoForm(forms.Form):
    """A new photo of a facility. The file itself is checked by photos.photo_add (type from its bytes, re-encoded
    without metadata); this form only asks that something was chosen and that the photo is described."""

    image = forms.FileField(
        label=_("写真"),
        help_text=_("JPEG・PNG・WebP。位置情報などの撮影情報は自動で取り除かれます。"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        error_messages={
            "required": _("写真のファイルを選択してください。"),
            "empty": _("ファイルが空です。内容のあるファイルを選択してください。"),
            "invalid": _("ファイルを読み取れませんでした。もう一度選択してください。"),
        },
    )
    alt = forms.CharField(
        label=_("写真の説明（代替テキスト）"),
        max_length=200,
        help_text=_("画面読み上げを使う方にはこの説明だけが伝わります。例：「2階 大会議室。机30台と演台」"),
        error_messages={
            "required": _("写真の説明を入力してください。画面読み上げを使う方にはこの説明だけが伝わります。"),
            "max_length": _("写真の説明は200文字以内で入力してください。"),
        },
    )
    alt_en = forms.CharField(
        label=_("写真の説明（英語）"),
        max_length=200,
        required=False,
        error_messages={"max_length": _("英語の説明は200文字以内で入力してください。")},
    )


class PhotoTextForm(forms.Form):
    """Changing the description of a photo that is already up."""

    alt = PhotoForm.base_fields["alt"]
    alt_en = PhotoForm.base_fields["alt_en"]
