"""Forms of the lottery. Querysets are this municipality's rows only, so another municipality's id is an
invalid choice at the field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from madoguchi.facilities.models import Facility, Registration, RegistrationStatus, Room

from .models import MAX_PREFERENCES, LotteryOffer, LotteryRound

NUMBER_ERRORS = {
    "invalid": _("半角数字で入力してください。"),
    "min_value": _("%(limit_value)s以上にしてください。"),
    "max_value": _("%(limit_value)s以下にしてください。"),
    "required": _("入力してください。"),
}


def offer_label(offer: LotteryOffer) -> str:
    return str(
        _("%(date)s %(room)s %(slot)s（%(start)s–%(end)s）")
        % {
            "date": offer.date.strftime("%Y-%m-%d"),
            "room": offer.room.display_name,
            "slot": offer.slot.display_label,
            "start": f"{offer.slot.starts_at:%H:%M}",
            "end": f"{offer.slot.ends_at:%H:%M}",
        }
    )


class RoundForm(forms.ModelForm):
    rooms: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("対象の部屋・区画"),
        queryset=Room.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("対象の部屋・区画を1つ以上選んでください。"),
            "invalid_choice": _("選んだ部屋・区画はこの施設にありません。"),
            "invalid_pk_value": _("選んだ部屋・区画はこの施設にありません。"),
        },
    )
    applies_from = forms.DateTimeField(
        label=_("申込開始"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={
            "invalid": _("日時は 2026-05-01T09:00 の形で入力してください。"),
            "required": _("申込開始を入力してください。"),
        },
    )
    applies_until = forms.DateTimeField(
        label=_("申込締切"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={
            "invalid": _("日時は 2026-05-10T17:00 の形で入力してください。"),
            "required": _("申込締切を入力してください。"),
        },
    )
    use_from = forms.DateField(
        label=_("利用期間の初日"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "invalid": _("日付は 2026-07-01 の形で入力してください。"),
            "required": _("利用期間の初日を入力してください。"),
        },
    )
    use_until = forms.DateField(
        label=_("利用期間の末日"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "invalid": _("日付は 2026-07-31 の形で入力してください。"),
            "required": _("利用期間の末日を入力してください。"),
        },
    )

    class Meta:
        model = LotteryRound
        fields = [
            "title",
            "title_en",
            "rooms",
            "applies_from",
            "applies_until",
            "use_from",
            "use_until",
            "max_entries",
            "max_wins",
            "max_preferences",
            "payment_days",
        ]

    def __init__(self, *args: Any, facility: Facility, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.facility = facility
        rooms = self.fields["rooms"]
        assert isinstance(rooms, forms.ModelMultipleChoiceField)
        rooms.queryset = Room.objects.filter(municipality=facility.municipality, facility=facility)
        for name in ("max_entries", "max_wins", "max_preferences", "payment_days"):
            self.fields[name].error_messages.update(NUMBER_ERRORS)
        self.fields["title"].error_messages.update(
            {"required": _("名称を入力してください。"), "max_length": _("名称は100文字以内で入力してください。")}
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("applies_from"), data.get("applies_until")
        if start and end and start >= end:
            self.add_error("applies_until", _("申込締切は申込開始より後にしてください。"))
        first, last = data.get("use_from"), data.get("use_until")
        if first and last and first > last:
            self.add_error("use_until", _("利用期間の末日は初日以降にしてください。"))
        return data


class EntryForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    registration: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("申し込む名義"),
        queryset=Registration.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": _("この名義では申し込めません。"), "required": _("名義を選んでください。")},
    )

    def __init__(self, *args: Any, lottery: LotteryRound, user: Any, offers: list[LotteryOffer], **kwargs: Any):
        super().__init__(*args, **kwargs)
        registration = self.fields["registration"]
        assert isinstance(registration, forms.ModelChoiceField)
        registration.queryset = Registration.objects.filter(
            municipality=lottery.municipality, user=user, status=RegistrationStatus.APPROVED
        )
        choices = [("", _("選ばない"))] + [(str(offer.pk), offer_label(offer)) for offer in offers]
        self.preference_names = []
        for rank in range(1, min(lottery.max_preferences, MAX_PREFERENCES) + 1):
            name = f"preference_{rank}"
            self.preference_names.append(name)
            self.fields[name] = forms.ChoiceField(
                label=_("第%(rank)s希望") % {"rank": rank},
                choices=choices,
                required=rank == 1,
                error_messages={
                    "required": _("第1希望の枠を選んでください。"),
                    "invalid_choice": _("選んだ枠はこの抽選にありません。"),
                },
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen: list[int] = []
        gap = False
        for name in self.preference_names:
            value = data.get(name)
            if not value:
                gap = True
                continue
            if gap:
                self.add_error(name, _("希望は第1希望から順に、間を空けずに選んでください。"))
                continue
            if int(value) in chosen:
                self.add_error(name, _("同じ枠を2回以上希望することはできません。"))
                continue
            chosen.append(int(value))
        data["offer_ids"] = chosen
        return data


class ExcludeForm(forms.Form):
    reason = forms.CharField(
        label=_("除外の理由"),
        max_length=400,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": _("除外する理由を入力してください。"),
            "max_length": _("理由は400文字以内で入力してください。"),
        },
    )
