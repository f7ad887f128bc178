"""Uploads: content checks, image re-encoding, safe names, limits, storage, downloads, results and the API."""

import io
import json
import re
import zipfile
import zlib

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import encode_multipart
from django_scopes import scopes_disabled
from PIL import Image

from madoguchi.accounts.models import Role
from madoguchi.audit.models import AuditEvent
from madoguchi.core.tenancy import municipality_scope
from madoguchi.procedures import files, uploads
from madoguchi.procedures.builder import form_definition_publish
from madoguchi.procedures.models import (
    FilePurpose,
    IdentityLevel,
    Procedure,
    Submission,
    SubmissionFile,
    SubmissionStatus,
)

from ..factories import make_department, make_staff, make_user, staff_client

pytestmark = pytest.mark.django_db

DEFINITION = {
    "schema": 1,
    "pages": [
        {
            "id": "docs",
            "title": {"ja": "書類", "en": "Documents"},
            "fields": [
                {
                    "id": "proof",
                    "type": "file",
                    "label": {"ja": "本人確認書類", "en": "Proof of identity"},
                    "required": True,
                    "max_size_mb": 1,
                    "kinds": ["pdf", "image"],
                },
                {
                    "id": "extras",
                    "type": "repeated_group",
                    "label": {"ja": "追加の書類", "en": "More documents"},
                    "required": False,
                    "max_items": 3,
                    "fields": [
                        {
                            "id": "scan",
                            "type": "file",
                            "label": {"ja": "書類", "en": "Document"},
                            "required": False,
                            "max_size_mb": 1,
                            "kinds": ["pdf", "image"],
                        }
                    ],
                },
            ],
        },
        {
            "id": "office",
            "title": {"ja": "表", "en": "Sheet"},
            "fields": [
                {
                    "id": "sheet",
                    "type": "file",
                    "label": {"ja": "明細表", "en": "Statement"},
                    "required": False,
                    "max_size_mb": 1,
                    "kinds": ["office"],
                }
            ],
        },
    ],
}

PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def png(size=(30, 20), color=(0, 128, 255)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def docx(extra: dict | None = None, content_types: bytes = b"<Types/>") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("word/document.xml", "<w:document/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.fixture
def online(city_a, juminhyo_a):
    with municipality_scope(city_a):
        form_definition_publish(procedure=juminhyo_a, actor=None, definition=DEFINITION, request=None)
    with scopes_disabled():
        Procedure.objects.filter(pk=juminhyo_a.pk).update(identity_level=IdentityLevel.ACCOUNT)
    juminhyo_a.refresh_from_db()
    return juminhyo_a


def _start(client) -> str:
    response = client.post("/city-a/procedures/juminhyo/apply/")
    assert response.status_code == 302, response.content[:300]
    assert response["Location"].endswith("/docs/")
    return response["Location"]


def _rows(**lookup):
    with scopes_disabled():
        return list(SubmissionFile.objects.filter(**lookup).order_by("pk"))


def _stored(name: str) -> bool:
    return files.file_storage().exists(name)


def _events(action: str):
    with scopes_disabled():
        return list(AuditEvent.objects.filter(action=action))


# ---------------------------------------------------------------------------------------------------------
# Content checks (what the file is, not what it says it is)


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("photo.jpg", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "image/jpeg"),
        (
            "photo.jpg",
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
            "image/jpeg",
        ),
        ("scan.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, "application/pdf"),
        ("scan.png", b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "image/png"),
    ],
)
def test_markup_and_programs_are_refused_whatever_they_are_called(name, content, content_type):
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.prepare_upload(upload(name, content, content_type), kinds=("pdf", "image"), max_bytes=1024 * 1024)
    assert refused.value.code == "file_dangerous"
    assert "危険な内容" in str(refused.value.message)


def test_a_real_type_the_field_does_not_allow_names_what_is_accepted():
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.prepare_upload(upload("x.pdf", png(), "application/pdf"), kinds=("pdf",), max_bytes=10**6)
    assert refused.value.code == "file_type" and "PDF" in str(refused.value.message)
    with pytest.raises(uploads.UploadRefused) as text:
        uploads.prepare_upload(upload("x.pdf", b"just some text", "application/pdf"), kinds=("pdf",), max_bytes=10**6)
    assert text.value.code == "file_type"


def test_a_pdf_polyglot_with_a_web_page_inside_is_refused():
    polyglot = PDF.replace(b"trailer", b"<html><script>alert(1)</script></html>\ntrailer")
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.prepare_upload(upload("a.pdf", polyglot), kinds=("pdf",), max_bytes=10**6)
    assert refused.value.code == "file_dangerous"


@pytest.mark.parametrize(
    "dictionary",
    [
        b"<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>",
        b"<< /Type /Action /S /J#61va#53cript /JS (app.alert(1)) >>",  # hex escapes in names
        b"<< /S /Launch /F (cmd.exe) >>",
        b"<< /EmbeddedFiles 5 0 R >>",
    ],
)
def test_pdfs_with_actions_are_refused(dictionary):
    active = PDF.replace(b"trailer", b"3 0 obj\n" + dictionary + b"\nendobj\ntrailer")
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.prepare_upload(upload("a.pdf", active), kinds=("pdf",), max_bytes=10**6)
    assert refused.value.code == "pdf_active_content"
    assert "スクリプト" in str(refused.value.message)


def test_a_script_hidden_in_a_compressed_object_stream_is_found():
    hidden = zlib.compress(b"<< /S /JavaScript /JS (app.alert(1)) >>")
    stream = b"4 0 obj\n<< /Type /ObjStm /Filter /FlateDecode >>\nstream\n" + hidden + b"\nendstream\nendobj\n"
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.prepare_upload(
            upload("a.pdf", PDF.replace(b"trailer", stream + b"trailer")), kinds=("pdf",), max_bytes=10**6
        )
    assert refused.value.code == "pdf_active_content"


def test_an_object_stream_that_cannot_be_read_is_refused():
    hex_stream = (
        b"4 0 obj\n<< /Type /ObjStm /Filter /ASCIIHexDecode >>\nstream\n" + b"<< /S /JavaScript >>".hex().encode()
    )
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.prepare_upload(
            upload("a.pdf", PDF.replace(b"trailer", hex_stream + b"\nendstream\nendobj\ntrailer")),
            kinds=("pdf",),
            max_bytes=10**6,
        )
    assert refused.value.code == "file_broken"


def test_binary_data_in_page_and_image_streams_is_not_mistaken_for_an_action():
    image = b"5 0 obj\n<< /Type /XObject /Subtype /Image /Length 20 >>\nstream\n\x00/JS \x01/Launch\x02\nendstream\nendobj\n"
    compressed = zlib.compress(b"BT /F1 12 Tf (/JavaScript is only text here) Tj ET")
    page = b"6 0 obj\n<< /Length 9 /Filter /FlateDecode >>\nstream\n" + compressed + b"\nendstream\nendobj\n"
    kept = uploads.prepare_upload(
        upload("a.pdf", PDF.replace(b"trailer", image + page + b"trailer")), kinds=("pdf",), max_bytes=10**6
    )
    assert kept.content_type == "application/pdf"


def test_a_fake_stream_inside_a_string_does_not_hide_an_action():
    trick = b"7 0 obj\n<< /Title (stream\n) /S /JavaScript /JS (app.alert(1)) /T (endstream) >>\nendobj\n"
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.prepare_upload(
            upload("a.pdf", PDF.replace(b"trailer", trick + b"trailer")), kinds=("pdf",), max_bytes=10**6
        )
    assert refused.value.code == "pdf_active_content"


def test_encrypted_pdfs_are_refused_and_a_plain_one_is_kept_as_it_is():
    encrypted = PDF.replace(b"<< /Root 1 0 R >>", b"<< /Root 1 0 R /Encrypt 9 0 R >>")
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.prepare_upload(upload("a.pdf", encrypted), kinds=("pdf",), max_bytes=10**6)
    assert refused.value.code == "pdf_encrypted" and "暗号化" in str(refused.value.message)
    kept = uploads.prepare_upload(upload("申請書.PDF", PDF, "text/html"), kinds=("pdf",), max_bytes=10**6)
    assert kept.content == PDF and kept.content_type == "application/pdf" and kept.name == "申請書.pdf"


def test_office_files_must_be_ooxml_without_macros():
    kept = uploads.prepare_upload(upload("明細.docx", docx()), kinds=("office",), max_bytes=10**6)
    assert kept.content_type == uploads.DOCX and kept.name == "明細.docx"
    with pytest.raises(uploads.UploadRefused) as macro:
        uploads.prepare_upload(
            upload("明細.docx", docx({"word/vbaProject.bin": b"\x00" * 10})), kinds=("office",), max_bytes=10**6
        )
    assert macro.value.code == "office_macro"
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(uploads.UploadRefused) as not_office:
        uploads.prepare_upload(upload("明細.docx", plain_zip.getvalue()), kinds=("office",), max_bytes=10**6)
    assert not_office.value.code == "file_type"
    with pytest.raises(uploads.UploadRefused) as old:
        uploads.prepare_upload(
            upload("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100), kinds=("office",), max_bytes=10**6
        )
    assert old.value.code == "file_type" and ".xlsx" in str(old.value.message)


def test_empty_and_oversized_files_are_refused_with_the_limit():
    with pytest.raises(uploads.UploadRefused) as empty:
        uploads.prepare_upload(upload("a.pdf", b""), kinds=("pdf",), max_bytes=10**6)
    assert empty.value.code == "file_empty"
    with pytest.raises(uploads.UploadRefused) as big:
        uploads.prepare_upload(upload("a.pdf", PDF + b" " * 2 * 1024 * 1024), kinds=("pdf",), max_bytes=1024 * 1024)
    assert big.value.code == "file_too_big" and "1MB" in str(big.value.message)


def _jpeg_with_gps_upside() -> bytes:
    """40×20: left half red, right half blue; EXIF orientation 6 (rotate 90° clockwise) and a GPS position."""
    image = Image.new("RGB", (40, 20), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "TestCam"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (36.0, 33.0, 12.0)
    gps[3] = "E"
    gps[4] = (136.0, 52.0, 30.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=95, comment=b"secret comment")
    return out.getvalue()


def test_a_photo_comes_out_upright_without_exif_gps_or_comments():
    original = _jpeg_with_gps_upside()
    with Image.open(io.BytesIO(original)) as check:
        assert check.getexif().get_ifd(0x8825)  # the test photo really carries a position
    kept = uploads.prepare_upload(upload("IMG_0001.JPG", original, "image/jpeg"), kinds=("image",), max_bytes=10**6)
    assert kept.content_type == "image/jpeg" and kept.name == "IMG_0001.jpg"
    assert b"Exif" not in kept.content and b"TestCam" not in kept.content and b"secret comment" not in kept.content
    with Image.open(io.BytesIO(kept.content)) as image:
        assert not image.getexif() and "icc_profile" not in image.info and "comment" not in image.info
        assert image.size == (20, 40)  # turned upright
        top, bottom = image.convert("RGB").getpixel((10, 5)), image.convert("RGB").getpixel((10, 35))
    assert top[0] > 200 and top[2] < 60  # the red half is now on top
    assert bottom[2] > 200 and bottom[0] < 60


def test_png_metadata_and_anything_appended_is_dropped():
    image = Image.new("RGBA", (10, 10), (10, 20, 30, 128))
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "山田太郎")
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    tampered = out.getvalue() + b"<script>alert(1)</script>"
    kept = uploads.prepare_upload(upload("a.png", tampered), kinds=("image",), max_bytes=10**6)
    assert b"Author" not in kept.content and b"<script" not in kept.content
    with Image.open(io.BytesIO(kept.content)) as clean:
        assert clean.mode == "RGBA" and not clean.info.get("Author")


def test_colour_profiles_are_dropped_and_16_bit_scans_keep_their_greys():
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 100, 50)).save(out, "JPEG", icc_profile=icc, quality=95)
    kept = uploads.prepare_upload(upload("a.jpg", out.getvalue()), kinds=("image",), max_bytes=10**6)
    with Image.open(io.BytesIO(kept.content)) as image:
        assert "icc_profile" not in image.info
        red, green, blue = image.getpixel((4, 4))
    assert abs(red - 200) < 12 and abs(green - 100) < 12 and abs(blue - 50) < 12
    scan = io.BytesIO()
    Image.new("I;16", (8, 8), 32768).save(scan, "PNG")  # mid grey in 16 bits
    grey = uploads.prepare_upload(upload("scan.png", scan.getvalue()), kinds=("image",), max_bytes=10**6)
    with Image.open(io.BytesIO(grey.content)) as image:
        assert image.mode == "L" and 120 <= image.getpixel((0, 0)) <= 136


def test_decompression_bombs_are_refused_before_decoding(settings):
    settings.PROCEDURE_UPLOAD_MAX_IMAGE_PIXELS = 1_000_000
    out = io.BytesIO()
    Image.new("1", (2000, 2000)).save(out, "PNG")  # a few hundred bytes that decode to 4 million pixels
    assert len(out.getvalue()) < 10_000
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.prepare_upload(upload("bomb.png", out.getvalue()), kinds=("image",), max_bytes=10**6)
    assert refused.value.code == "file_too_many_pixels" and "1,000,000画素" in str(refused.value.message)


def test_broken_images_and_heic_get_clear_messages():
    with pytest.raises(uploads.UploadRefused) as broken:
        uploads.prepare_upload(upload("a.png", png()[:40]), kinds=("image",), max_bytes=10**6)
    assert broken.value.code == "file_broken"
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 50
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.prepare_upload(upload("IMG.HEIC", heic), kinds=("image",), max_bytes=10**6)
    assert "HEIC" in str(refused.value.message)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd.pdf"),
        ("C:\\Users\\me\\委任状.pdf", "委任状.pdf"),
        ("a\x00b.pdf", "ab.pdf"),
        ("invoice\u202egpj.exe", "invoicegpj.pdf"),
        ("\u202e\u200b", "file.pdf"),
        ("CON.pdf", "file_CON.pdf"),
        ("ka\u3099.pdf", "ka\u3099.pdf"),
        ("か\u3099.pdf", "が.pdf"),  # NFC
        ('a<b>:"c"|?*.pdf', "a_b___c____.pdf"),
        ("...", "file.pdf"),
        ("report.html", "report.pdf"),
    ],
)
def test_file_names_are_made_safe(raw, expected):
    assert uploads.sanitise_filename(raw, uploads.PDF) == expected


def test_long_file_names_are_cut_and_keep_the_real_extension():
    name = uploads.sanitise_filename("あ" * 500 + ".exe", uploads.PNG)
    assert len(name) == uploads.MAX_NAME_LENGTH and name.endswith("あ.png")


# ---------------------------------------------------------------------------------------------------------
# The journey


def test_an_attachment_is_stored_replaced_shown_and_downloaded(online, django_capture_on_commit_callbacks):
    resident = make_user()
    client = Client()
    client.force_login(resident)
    page = _start(client)
    form_html = client.get(page).content.decode()
    assert 'enctype="multipart/form-data"' in form_html and 'accept="application/pdf,image/jpeg' in form_html
    response = client.post(page, {"proof": upload("../../委任状.jpg", png(), "image/jpeg"), "extras__items": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    with scopes_disabled():
        draft = Submission.objects.get(applicant=resident)
    answer = draft.answers["proof"]
    first = _rows(submission=draft)
    assert len(first) == 1 and first[0].purpose == FilePurpose.ATTACHMENT and first[0].field_path == "proof"
    assert answer == {
        "name": "委任状.png",  # the content is a PNG, whatever the browser said
        "size": first[0].size,
        "content_type": "image/png",
        "ref": str(first[0].public_id),
        "sha256": first[0].sha256,
    }
    assert _stored(first[0].storage_name) and "委任状" not in first[0].storage_name
    assert _events("submission.file_uploaded")[0].object_id == str(first[0].public_id)

    # The page shows the file kept; posting without a new file keeps it.
    again = client.get(page).content.decode()
    assert "提出済みのファイル：委任状.png" in again
    assert client.post(page, {"extras__items": "1"}).status_code == 302
    assert len(_rows(submission=draft)) == 1

    # The check page links to the download, which is the applicant's own.
    check = client.get(page.replace("/docs/", "/check/")).content.decode()
    link = re.search(r'href="([^"]+/files/[^"]+/)"', check).group(1)
    download = client.get(link)
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    assert download["Content-Disposition"] == (
        "attachment; filename=\"file.png\"; filename*=UTF-8''%E5%A7%94%E4%BB%BB%E7%8A%B6.png"
    )
    assert download["X-Content-Type-Options"] == "nosniff" and "no-store" in download["Cache-Control"]
    assert b"".join(download.streaming_content).startswith(b"\x89PNG")
    assert _events("submission.file_downloaded")[0].actor == resident

    # Replacing the file removes the old one, its stored object once the change commits.
    with django_capture_on_commit_callbacks(execute=True):
        replaced = client.post(page, {"proof": upload("scan.pdf", PDF, "application/pdf"), "extras__items": "1"})
    assert replaced.status_code == 302
    second = _rows(submission=draft)
    assert len(second) == 1 and second[0].content_type == "application/pdf" and second[0].pk != first[0].pk
    assert not _stored(first[0].storage_name) and _stored(second[0].storage_name)
    assert _events("submission.file_removed")[0].object_id == str(first[0].public_id)


def test_refused_files_get_a_message_at_their_field_and_nothing_is_kept(online):
    client = Client()
    client.force_login(make_user())
    page = _start(client)
    response = client.post(
        page,
        {"proof": upload("photo.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg"), "extras__items": "1"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "危険な内容" in body and 'href="#id_proof"' in body  # in the error summary, linked to the field
    assert _rows() == []
    english = client.post(page + "?lang=en", {"proof": upload("a.jpg", b"<svg onload=alert(1)>"), "extras__items": "1"})
    assert english.status_code == 400 and "may be dangerous" in english.content.decode()


def test_files_inside_a_repeated_group_and_the_limits_per_application(online, settings):
    client = Client()
    client.force_login(make_user())
    page = _start(client)
    settings.PROCEDURE_UPLOAD_MAX_FILES = 2
    too_many = client.post(
        page,
        {
            "proof": upload("a.pdf", PDF),
            "extras__items": "2",
            "extras__0__scan": upload("b.pdf", PDF),
            "extras__1__scan": upload("c.png", png()),
        },
    )
    assert too_many.status_code == 400 and "2件まで" in too_many.content.decode()
    assert _rows() == []
    settings.PROCEDURE_UPLOAD_MAX_FILES = 20
    settings.PROCEDURE_UPLOAD_MAX_TOTAL_MB = 1
    big = PDF.replace(b"trailer", b"% " + b"x" * 600_000 + b"\ntrailer")
    over_total = client.post(
        page, {"proof": upload("a.pdf", big), "extras__items": "1", "extras__0__scan": upload("b.pdf", big)}
    )
    assert over_total.status_code == 400 and "合計1MBまで" in over_total.content.decode()
    assert _rows() == []
    settings.PROCEDURE_UPLOAD_MAX_TOTAL_MB = 50
    kept = client.post(
        page, {"proof": upload("a.pdf", PDF), "extras__items": "1", "extras__0__scan": upload("b.png", png())}
    )
    assert kept.status_code == 302
    paths = sorted(row.field_path for row in _rows())
    assert paths == ["extras.0.scan", "proof"]


def test_a_body_over_the_limit_is_a_message_at_the_field_not_an_error(online, settings):
    settings.PROCEDURE_UPLOAD_MAX_FILE_MB = 0.5  # below the field's own 1 MB: the size guard answers
    client = Client()
    client.force_login(make_user())
    page = _start(client)
    huge = PDF + b" " * (3 * 1024 * 1024)
    response = client.post(page, {"proof": upload("a.pdf", huge), "extras__items": "1"})
    assert response.status_code == 400
    assert "0.5MB以下" in response.content.decode() and _rows() == []


def test_a_forged_ref_cannot_point_at_another_file(online):
    """Answers are only ever built by the server, but the service refuses a ref it did not store anyway."""
    owner, other = make_user(), make_user()
    client = Client()
    client.force_login(owner)
    client.post(_start(client), {"proof": upload("a.pdf", PDF), "extras__items": "1"})
    stolen = _rows()[0]
    with scopes_disabled():
        draft = Submission.objects.create(
            municipality=online.municipality,
            procedure=online,
            form_version=online.form_versions.get(status="live"),
            department=online.department,
            applicant=other,
        )
        with pytest.raises(files.ServiceError) as refused:
            files.draft_save_with_files(
                draft=draft,
                answers={
                    "proof": {
                        "name": "a.pdf",
                        "size": 1,
                        "content_type": "application/pdf",
                        "ref": str(stolen.public_id),
                    }
                },
                uploads=[],
                actor=other,
                request=None,
            )
    assert refused.value.code == "file_unknown" and refused.value.field == "proof"


def test_deleting_a_draft_removes_its_stored_files(online, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(make_user())
    client.post(_start(client), {"proof": upload("a.pdf", PDF), "extras__items": "1"})
    row = _rows()[0]
    assert _stored(row.storage_name)
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        Submission.objects.filter(pk=row.submission_id).delete()
    assert not _stored(row.storage_name) and _rows() == []


def test_a_file_dropped_from_the_answers_on_submit_is_deleted(online, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(make_user())
    page = _start(client)
    client.post(page, {"proof": upload("a.pdf", PDF), "extras__items": "1", "extras__0__scan": upload("b.pdf", PDF)})
    scan = next(row for row in _rows() if row.field_path == "extras.0.scan")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(page, {"extras__items": "1"}).status_code == 302  # the group item left empty
    assert [row.field_path for row in _rows()] == ["proof"] and not _stored(scan.storage_name)
    check = page.replace("/docs/", "/check/")
    assert client.post(check).status_code == 302
    with scopes_disabled():
        assert Submission.objects.get().status == SubmissionStatus.SUBMITTED


# ---------------------------------------------------------------------------------------------------------
# Who may download


def _submitted(online, resident):
    client = Client()
    client.force_login(resident)
    page = _start(client)
    client.post(page, {"proof": upload("a.pdf", PDF), "extras__items": "1"})
    assert client.post(page.replace("/docs/", "/check/")).status_code == 302
    with scopes_disabled():
        submission = Submission.objects.get(applicant=resident)
    return client, submission, _rows(submission=submission)[0], page


def test_downloads_are_for_the_applicant_and_the_departments_staff_only(online, city_b):
    resident = make_user()
    owner, submission, row, page = _submitted(online, resident)
    mine_url = f"/city-a/procedures/mine/{submission.public_id}/files/{row.public_id}/"
    draft_url = page.replace("/docs/", f"/files/{row.public_id}/")
    staff_url = f"/city-a/staff/procedures/inbox/{submission.public_id}/files/{row.public_id}/"
    assert owner.get(mine_url).status_code == 200
    assert "/files/" in owner.get(f"/city-a/procedures/mine/{submission.public_id}/").content.decode()

    stranger = Client()
    stranger.force_login(make_user())
    assert stranger.get(mine_url).status_code == 404
    assert stranger.get(draft_url).status_code == 404
    assert Client().get(draft_url).status_code == 404  # anonymous
    assert Client().get(mine_url).status_code == 302  # sign in first; then it is still the owner's only
    assert owner.get(mine_url.replace("city-a", "city-b")).status_code == 404
    assert owner.get(f"/city-a/procedures/mine/{submission.public_id}/files/not-a-uuid/").status_code == 404

    other_department = make_department(online.municipality, slug="zeimu", name="税務課")
    outsider = staff_client(make_staff(online.municipality, Role.DEPARTMENT_STAFF, department=other_department))
    assert outsider.get(staff_url).status_code == 404
    elsewhere = staff_client(make_staff(city_b, Role.MUNICIPALITY_ADMIN))
    assert elsewhere.get(staff_url.replace("city-a", "city-b")).status_code == 404

    staff_user = make_staff(online.municipality, Role.DEPARTMENT_STAFF, department=online.department)
    staff = staff_client(staff_user)
    detail = staff.get(f"/city-a/staff/procedures/inbox/{submission.public_id}/").content.decode()
    assert staff_url in detail
    download = staff.get(staff_url)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["Cache-Control"] == "private, no-store"
    viewed = [e for e in _events("personal_data.view") if e.object_type == "submission_file"]
    assert len(viewed) == 1 and viewed[0].actor == staff_user and viewed[0].object_id == str(row.public_id)
    assert viewed[0].details == {"fields": ["proof"]}


def test_an_anonymous_draft_belongs_to_the_session_that_started_it(online):
    with scopes_disabled():
        Procedure.objects.filter(pk=online.pk).update(identity_level=IdentityLevel.NONE)
    browser = Client()
    page = _start(browser)
    assert browser.post(page, {"proof": upload("a.png", png()), "extras__items": "1"}).status_code == 302
    row = _rows()[0]
    url = page.replace("/docs/", f"/files/{row.public_id}/")
    assert browser.get(url).status_code == 200
    assert Client().get(url).status_code == 404
    assert _events("submission.file_downloaded")[0].actor is None


# ---------------------------------------------------------------------------------------------------------
# Results (結果の交付)


def test_staff_issue_a_result_the_applicant_downloads_it_and_staff_can_take_it_back(
    online, django_capture_on_commit_callbacks
):
    resident = make_user()
    owner, submission, _row, _page = _submitted(online, resident)
    staff_user = make_staff(online.municipality, Role.DEPARTMENT_STAFF, department=online.department)
    staff = staff_client(staff_user)
    base = f"/city-a/staff/procedures/inbox/{submission.public_id}"
    refused = staff.post(
        f"{base}/results/", {"file": upload("result.pdf", b"<html>not a pdf</html>", "application/pdf")}
    )
    assert refused.status_code == 400 and "危険な内容" in refused.content.decode()
    missing = staff.post(f"{base}/results/", {})
    assert missing.status_code == 400 and "交付するファイルを選択してください" in missing.content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        issued = staff.post(f"{base}/results/", {"file": upload("住民票の写し.pdf", PDF, "application/pdf")})
    assert issued.status_code == 302
    result = _rows(purpose=FilePurpose.RESULT)[0]
    assert result.uploaded_by == staff_user and result.original_name == "住民票の写し.pdf"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [resident.email]
    assert submission.receipt_number in mail.outbox[0].subject and "PDF" not in mail.outbox[0].body
    assert _events("submission.result_issued")[0].actor == staff_user

    mine = owner.get(f"/city-a/procedures/mine/{submission.public_id}/").content.decode()
    assert "住民票の写し.pdf" in mine
    download = owner.get(f"/city-a/procedures/mine/{submission.public_id}/files/{result.public_id}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF

    # Someone else's result is not theirs; another 課 cannot remove it.
    other = staff_client(
        make_staff(
            online.municipality,
            Role.DEPARTMENT_STAFF,
            department=make_department(online.municipality, slug="kankyo", name="環境課"),
        )
    )
    assert other.post(f"{base}/results/{result.public_id}/remove/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        removed = staff.post(f"{base}/results/{result.public_id}/remove/")
    assert removed.status_code == 302 and _rows(purpose=FilePurpose.RESULT) == []
    assert not _stored(result.storage_name)
    assert _events("submission.result_removed")[0].object_id == str(result.public_id)
    assert owner.get(f"/city-a/procedures/mine/{submission.public_id}/files/{result.public_id}/").status_code == 404


def test_a_correction_can_replace_a_file(online, django_capture_on_commit_callbacks):
    resident = make_user()
    owner, submission, row, _page = _submitted(online, resident)
    staff_user = make_staff(online.municipality, Role.DEPARTMENT_STAFF, department=online.department)
    from madoguchi.procedures import submissions

    with municipality_scope(online.municipality):
        submissions.submission_change_status(
            submission=submission, actor=staff_user, to_status="accepted", text="", request=None
        )
        submissions.submission_request_correction(
            submission=submission, actor=staff_user, fields=["proof"], message="読めません", request=None
        )
    url = f"/city-a/procedures/mine/{submission.public_id}/correct/docs/"
    bad = owner.post(url, {"proof": upload("a.pdf", b"MZ" + b"\x00" * 50), "extras__items": "1"})
    assert bad.status_code == 400 and "危険な内容" in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        good = owner.post(url, {"proof": upload("clear.png", png()), "extras__items": "1"})
    assert good.status_code == 302
    rows = _rows(submission=submission)
    assert len(rows) == 1 and rows[0].content_type == "image/png" and not _stored(row.storage_name)
    with scopes_disabled():
        assert Submission.objects.get(pk=submission.pk).answers["proof"]["ref"] == str(rows[0].public_id)


# ---------------------------------------------------------------------------------------------------------
# The API


API = "/api/v1/municipalities/city-a/procedures/juminhyo/submissions"


def test_the_api_takes_multipart_with_the_same_checks(online):
    client = Client()
    client.force_login(make_user())
    spoofed = client.post(
        API, {"answers": json.dumps({}), "proof": upload("a.jpg", b"<svg onload=alert(1)>", "image/jpeg")}
    )
    assert spoofed.status_code == 422
    assert "危険な内容" in spoofed.json()["error"]["fields"]["proof"][0]
    unknown = client.post(API, {"answers": "{}", "proof": upload("a.pdf", PDF), "nope": upload("b.pdf", PDF)})
    assert unknown.status_code == 422 and "nope" in unknown.json()["error"]["fields"]
    broken = client.post(API, {"answers": "{not json", "proof": upload("a.pdf", PDF)})
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "bad_request"
    handmade = client.post(
        API,
        json.dumps({"answers": {"proof": {"name": "a.pdf", "size": 10, "content_type": "application/pdf"}}}),
        content_type="application/json",
    )
    assert handmade.status_code == 422 and "proof" in handmade.json()["error"]["fields"]
    assert _rows() == []
    with scopes_disabled():
        assert not Submission.objects.exists()


def test_api_multipart_applications_replay_with_one_idempotency_key(online):
    client = Client()
    client.force_login(make_user())
    answers = json.dumps({})
    fields = {"answers": answers, "proof": upload("委任状.png", png()), "extras__0__scan": upload("b.pdf", PDF)}
    first = client.post(API, fields, HTTP_IDEMPOTENCY_KEY="files-1")
    assert first.status_code == 201, first.content
    # The same content with another multipart boundary (as any real client sends) is the same request.
    body = encode_multipart(
        "another-boundary", {**fields, "proof": upload("委任状.png", png()), "extras__0__scan": upload("b.pdf", PDF)}
    )
    second = client.generic(
        "POST", API, body, content_type="multipart/form-data; boundary=another-boundary", HTTP_IDEMPOTENCY_KEY="files-1"
    )
    assert second.status_code == 201 and second.json() == first.json()
    with scopes_disabled():
        submission = Submission.objects.get()
    assert submission.status == SubmissionStatus.SUBMITTED
    rows = _rows()
    assert sorted(row.field_path for row in rows) == ["extras.0.scan", "proof"]
    assert submission.answers["proof"]["content_type"] == "image/png"
    different = client.post(API, {**fields, "proof": upload("other.pdf", PDF)}, HTTP_IDEMPOTENCY_KEY="files-1")
    assert different.status_code == 422 and different.json()["error"]["code"] == "idempotency_key_reused"
    assert len(_rows()) == 2


def test_a_failed_api_application_leaves_no_stored_file(online, settings):
    """The answers are invalid (a required file missing from a later check): everything rolls back, and the
    stored object is deleted too."""
    client = Client()
    client.force_login(make_user())
    before = set(files.file_storage().listdir("procedures")[1]) if files.file_storage().exists("procedures") else set()
    response = client.post(API, {"answers": json.dumps({"sheet": "not a file"}), "proof": upload("a.pdf", PDF)})
    assert response.status_code == 422
    after = set(files.file_storage().listdir("procedures")[1]) if files.file_storage().exists("procedures") else set()
    assert after == before and _rows() == []


def test_the_result_e_mail_follows_the_applicants_language(online, django_capture_on_commit_callbacks):
    resident = make_user()
    resident.preferred_language = "en"
    resident.save(update_fields=["preferred_language"])
    _owner, submission, _row, _page = _submitted(online, resident)
    staff = staff_client(make_staff(online.municipality, Role.DEPARTMENT_STAFF, department=online.department))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(f"/city-a/staff/procedures/inbox/{submission.public_id}/results/", {"file": upload("r.pdf", PDF)})
    assert len(mail.outbox) == 1
    assert (
        mail.outbox[0].subject == f"[Madoguchi] A result document for application {submission.receipt_number} is ready"
    )
    assert "is not attached to this e-mail" in mail.outbox[0].body


def test_a_large_multipart_body_with_an_idempotency_key_is_checked_not_refused_as_raw_data(online):
    """Over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) in files: Django keeps them in temporary files, and the
    fingerprint reads the parts, never request.body (which would refuse the body as too large)."""
    client = Client()
    client.force_login(make_user())
    big = PDF + b" " * (3 * 1024 * 1024)
    response = client.post(API, {"answers": "{}", "proof": upload("a.pdf", big)}, HTTP_IDEMPOTENCY_KEY="big-1")
    assert response.status_code == 422
    assert "1MB以下" in response.json()["error"]["fields"]["proof"][0]


def _hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def test_a_kept_file_stays_with_its_item_when_an_earlier_item_is_removed(online, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(make_user())
    page = _start(client)
    posted = client.post(
        page,
        {
            "proof": upload("a.pdf", PDF),
            "extras__items": "2",
            "extras__0__scan": upload("first.pdf", PDF),
            "extras__1__scan": upload("second.png", png()),
        },
    )
    assert posted.status_code == 302
    second = next(row for row in _rows() if row.original_name == "second.png")
    shown = client.get(page).content.decode()
    hidden = _hidden(shown)
    assert hidden["extras__1__scan__current"] == str(second.public_id)
    # Remove item 1 (the first), as the browser posts it: the kept files' refs ride along in hidden fields.
    removed = client.post(page, {**hidden, "_action": "remove:extras:0"})
    assert removed.status_code == 200
    body = removed.content.decode()
    assert "提出済みのファイル：second.png" in body and "first.pdf" not in body
    with django_capture_on_commit_callbacks(execute=True):
        saved = client.post(page, _hidden(body))
    assert saved.status_code == 302
    with scopes_disabled():
        answers = Submission.objects.get().answers
    assert answers["extras"] == [{"scan": {**answers["extras"][0]["scan"], "ref": str(second.public_id)}}]
    assert sorted(row.original_name for row in _rows()) == ["a.pdf", "second.png"]


def test_a_hidden_ref_naming_someone_elses_file_keeps_nothing(online):
    owner = Client()
    owner.force_login(make_user())
    owner.post(_start(owner), {"proof": upload("a.pdf", PDF), "extras__items": "1"})
    theirs = _rows()[0]
    thief = Client()
    thief.force_login(make_user())
    response = thief.post(_start(thief), {"proof__current": str(theirs.public_id), "extras__items": "1"})
    assert response.status_code == 400 and "本人確認書類のファイルを選択してください" in response.content.decode()
    assert len(_rows()) == 1


def test_an_api_application_is_written_once_with_its_files_history_and_audit_events(online):
    """No draft is written first: one INSERT of the application (already submitted, numbered), its files, one
    history entry, and the audit events of the files and the submission in a single INSERT; nothing is read
    back and no savepoint is taken inside the request's transaction."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(make_user())
    # The 年度's first application creates its receipt counter; the one measured is an ordinary one.
    assert client.post(API, {"answers": "{}", "proof": upload("a.pdf", PDF)}).status_code == 201
    with scopes_disabled():
        audited_before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    fields = {"answers": "{}", "proof": upload("a.png", png()), "extras__0__scan": upload("b.pdf", PDF)}
    with CaptureQueriesContext(connection) as captured:
        response = client.post(API, fields, HTTP_IDEMPOTENCY_KEY="once-1")
    assert response.status_code == 201, response.content
    statements = [query["sql"] for query in captured.captured_queries]
    writes = [sql.split("(")[0].strip() for sql in statements if sql.startswith(("INSERT", "UPDATE"))]
    assert writes.count('INSERT INTO "procedures_submission"') == 1
    assert not any(sql.startswith('UPDATE "procedures_submission"') for sql in statements)
    assert writes.count('INSERT INTO "audit_auditevent"') == 1
    # One savepoint: the request's own transaction, nested in the test's; none inside it.
    assert sum(sql.startswith("SAVEPOINT") for sql in statements) == 1
    assert not any(sql.startswith("SELECT") and '"procedures_submissionfile"' in sql for sql in statements)
    with scopes_disabled():
        submission = Submission.objects.get(public_id=response.json()["id"])
        history = list(submission.events.values_list("from_status", "to_status"))
        actions = list(AuditEvent.objects.filter(pk__gt=audited_before).order_by("pk").values_list("action", flat=True))
    assert (
        submission.status == SubmissionStatus.SUBMITTED
        and submission.receipt_number == response.json()["receipt_number"]
    )
    assert history == [("draft", "submitted")]
    assert actions == ["submission.file_uploaded", "submission.file_uploaded", "submission.submitted"]
    rows = _rows(submission=submission)
    assert sorted(row.field_path for row in rows) == ["extras.0.scan", "proof"]
    assert all(_stored(row.storage_name) for row in rows)
    assert {submission.answers["proof"]["ref"], submission.answers["extras"][0]["scan"]["ref"]} == {
        str(row.public_id) for row in rows
    }


def test_a_file_sent_to_the_api_for_a_hidden_field_is_never_kept(city_a, juminhyo_a):
    definition = {
        "schema": 1,
        "pages": [
            {
                "id": "main",
                "title": {"ja": "内容", "en": "Details"},
                "fields": [
                    {
                        "id": "by_agent",
                        "type": "single_choice",
                        "label": {"ja": "代理人による申請", "en": "By an agent"},
                        "options": [{"value": "no", "label": "いいえ"}, {"value": "yes", "label": "はい"}],
                    },
                    {
                        "id": "proxy",
                        "type": "file",
                        "label": {"ja": "委任状", "en": "Letter of proxy"},
                        "kinds": ["pdf"],
                        "max_size_mb": 1,
                        "condition": {"field": "by_agent", "equals": "yes"},
                    },
                ],
            }
        ],
    }
    with municipality_scope(city_a):
        form_definition_publish(procedure=juminhyo_a, actor=None, definition=definition, request=None)
    with scopes_disabled():
        Procedure.objects.filter(pk=juminhyo_a.pk).update(identity_level=IdentityLevel.ACCOUNT)
    client = Client()
    client.force_login(make_user())
    storage = files.file_storage()
    before = set(storage.listdir("procedures")[1]) if storage.exists("procedures") else set()
    response = client.post(API, {"answers": json.dumps({"by_agent": "no"}), "proxy": upload("p.pdf", PDF)})
    assert response.status_code == 201, response.content
    with scopes_disabled():
        assert Submission.objects.get().answers == {"by_agent": "no"}
    after = set(storage.listdir("procedures")[1]) if storage.exists("procedures") else set()
    assert _rows() == [] and after == before and _events("submission.file_uploaded") == []


def test_a_replay_refused_by_the_checks_is_still_answered_from_its_key(online):
    """The checks run before the idempotency record is looked at: a retry that they would now refuse (the
    procedure was taken off line meanwhile) still gets the first answer, and a key used for other content
    is still named as such, whatever the checks say of that content."""
    client = Client()
    client.force_login(make_user())
    fields = {"answers": "{}", "proof": upload("a.pdf", PDF)}
    first = client.post(API, fields, HTTP_IDEMPOTENCY_KEY="retry-1")
    assert first.status_code == 201, first.content
    with scopes_disabled():
        Procedure.objects.filter(pk=online.pk).update(channel="counter")
    retry = client.post(API, {"answers": "{}", "proof": upload("a.pdf", PDF)}, HTTP_IDEMPOTENCY_KEY="retry-1")
    assert retry.status_code == 201 and retry.json() == first.json()
    other = client.post(API, {"answers": "{}", "proof": upload("b.pdf", b"")}, HTTP_IDEMPOTENCY_KEY="retry-1")
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    fresh = client.post(API, {"answers": "{}", "proof": upload("a.pdf", PDF)}, HTTP_IDEMPOTENCY_KEY="retry-2")
    assert fresh.status_code == 404 and fresh.json()["error"]["code"] == "not_online"
    with scopes_disabled():
        assert Submission.objects.count() == 1
