"""Photos of facilities: staff add, reorder and remove them; residents see them on the facility page.

An upload goes through the same checks as residents' attachments (procedures/uploads.py `prepare_upload`):
the type is read from the bytes, and the image is decoded and encoded again upright without EXIF/GPS or any
other metadata — and, in the same encoding, scaled down so its longest edge is at most FACILITIES_PHOTO_MAX_EDGE
pixels: a phone photo of 12 megapixels would otherwise be several MB on a page residents open on mobile data.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from madoguchi.audit.services import audit_record
from madoguchi.core.errors import ServiceError
from madoguchi.core.models import Municipality
from madoguchi.procedures.uploads import EXTENSIONS, prepare_upload

from .models import Facility, FacilityPhoto

MSG_TOO_MANY = _("写真は1施設あたり%(max)s枚までです。不要な写真を削除してから追加してください。")
MSG_NO_ALT = _("写真の説明を入力してください。画面読み上げを使う方にはこの説明だけが伝わります。")
MSG_NO_FILE = _("写真のファイルを選択してください。")


def photo_limit() -> int:
    return int(settings.FACILITIES_PHOTOS_PER_FACILITY)


def photo_add(
    *,
    facility: Facility,
    upload: UploadedFile | None,
    alt: str,
    alt_en: str = "",
    actor: Any,
    request: HttpRequest | None = None,
) -> FacilityPhoto:
    """Check, clean, scale and keep one photo at the end of the facility's photos."""
    alt, alt_en = alt.strip(), alt_en.strip()
    if upload is None:
        raise ServiceError("required", MSG_NO_FILE, field="image")
    if not alt:
        raise ServiceError("required", MSG_NO_ALT, field="alt")
    # Checked, cleaned and scaled in one decode and encode (the same checks as residents' attachments).
    prepared = prepare_upload(
        upload,
        kinds=("image",),
        max_bytes=int(settings.FACILITIES_PHOTO_MAX_BYTES),
        field_name="image",
        max_edge=int(settings.FACILITIES_PHOTO_MAX_EDGE),
    )
    # Set for every image, the only kind "image" admits (the width/height check constraint refuses 0).
    width, height = prepared.pixel_size or (0, 0)
    municipality = facility.municipality
    storage_name = f"facility_photos/{prepared.storage_name.rsplit('/', 1)[-1]}{EXTENSIONS[prepared.content_type]}"
    saved_name = ""
    try:
        with transaction.atomic():
            # The facility row lock orders concurrent uploads, so the count limit, the positions and the
            # duplicate check hold.
            Facility.objects.select_for_update().filter(pk=facility.pk).first()
            photos = FacilityPhoto.objects.filter(municipality=municipality, facility=facility)
            # The same picture again (a double click, a browser retry, the same file chosen twice): cleaning is
            # deterministic, so equal bytes mean the same photo — keep the first rather than show it twice.
            same = photos.filter(sha256=prepared.sha256).first()
            if same is not None:
                return same
            limit = photo_limit()
            if photos.count() >= limit:
                raise ServiceError("too_many_photos", MSG_TOO_MANY % {"max": limit}, field="image")
            last = photos.aggregate(last=Max("position"))["last"]
            saved_name = default_storage.save(storage_name, ContentFile(prepared.content))
            photo = FacilityPhoto.objects.create(
                municipality=municipality,
                facility=facility,
                storage_name=saved_name,
                content_type=prepared.content_type,
                width=width,
                height=height,
                size=prepared.size,
                sha256=prepared.sha256,
                alt=alt,
                alt_en=alt_en,
                position=0 if last is None else last + 1,
            )
            audit_record(
                action="facilities.photo_added",
                actor=actor,
                municipality=municipality,
                object_type="facility_photo",
                object_id=str(photo.public_id),
                request=request,
                details={"facility": str(facility.public_id), "bytes": prepared.size, "width": width, "height": height},
            )
    except BaseException:
        if saved_name:
            default_storage.delete(saved_name)  # no row refers to the bytes: do not keep them
        raise
    return photo


def photo_update(
    *, photo: FacilityPhoto, alt: str, alt_en: str = "", actor: Any, request: HttpRequest | None = None
) -> FacilityPhoto:
    alt, alt_en = alt.strip(), alt_en.strip()
    if not alt:
        raise ServiceError("required", MSG_NO_ALT, field="alt")
    if (photo.alt, photo.alt_en) == (alt, alt_en):
        return photo  # nothing changed: no write, no audit entry (a repeated POST stays harmless)
    photo.alt, photo.alt_en = alt, alt_en
    photo.full_clean(exclude=["municipality", "facility"])
    photo.save(update_fields=["alt", "alt_en"])
    audit_record(
        action="facilities.photo_updated",
        actor=actor,
        municipality=photo.municipality,
        object_type="facility_photo",
        object_id=str(photo.public_id),
        request=request,
    )
    return photo


def photo_move(*, photo: FacilityPhoto, offset: int, actor: Any, request: HttpRequest | None = None) -> None:
    """Move a photo one place earlier (offset -1) or later (+1); the first photo is the one lists show."""
    with transaction.atomic():
        Facility.objects.select_for_update().filter(pk=photo.facility_id).first()
        order = list(
            FacilityPhoto.objects.filter(municipality=photo.municipality, facility_id=photo.facility_id).order_by(
                "position", "pk"
            )
        )
        index = next((i for i, item in enumerate(order) if item.pk == photo.pk), None)
        if index is None:
            return  # removed meanwhile
        target = index + (1 if offset > 0 else -1)
        if not 0 <= target < len(order):
            return  # already first or last: nothing to do
        order[index], order[target] = order[target], order[index]
        for position, item in enumerate(order):
            if item.position != position:
                item.position = position
                item.save(update_fields=["position"])
        audit_record(
            action="facilities.photo_moved",
            actor=actor,
            municipality=photo.municipality,
            object_type="facility_photo",
            object_id=str(photo.public_id),
            request=request,
            details={"position": target + 1},
        )


def photo_remove(*, photo: FacilityPhoto, actor: Any, request: HttpRequest | None = None) -> None:
    storage_name = photo.storage_name
    public_id = str(photo.public_id)
    municipality: Municipality = photo.municipality
    with transaction.atomic():
        deleted, _rows = FacilityPhoto.objects.filter(municipality=municipality, pk=photo.pk).delete()
        if not deleted:
            return  # removed by someone else already: the same outcome
        audit_record(
            action="facilities.photo_removed",
            actor=actor,
            municipality=municipality,
            object_type="facility_photo",
            object_id=public_id,
            request=request,
        )
        # The bytes go only once the row is gone for good; a rolled-back delete keeps a working photo.
        transaction.on_commit(lambda: default_storage.delete(storage_name))
