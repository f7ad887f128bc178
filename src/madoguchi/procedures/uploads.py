"""Checking an uploaded file before it is kept: what it really is, whether it is safe, and a safe name.

Nothing here trusts the browser. The kind of a file is decided by its first bytes (magic numbers), never by
its extension or the Content-Type the browser sent; anything that is not one of the kinds the form field
allows is refused with a message naming what is accepted. Images are decoded and re-encoded by Pillow, which
turns them upright (EXIF orientation) and drops every piece of metadata (EXIF with GPS, XMP, ICC profiles,
comments) and anything appended to the image. PDFs with scripts, launch actions, embedded files or encryption
are refused. Office files must be Word/Excel OOXML without macros.

`prepare_upload` returns a PreparedUpload (content, safe name, sniffed type, size, sha256 and the random
storage name) or raises UploadRefused (a ServiceError with a Japanese/English message). Storing it is a
service's job (procedures/files.py).
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import uuid
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.utils.translation import gettext_lazy as _

from madoguchi.core.errors import ServiceError

# The content types a sniffed kind stands for, and the extension a stored file gets.
PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png", WEBP: ".webp", DOCX: ".docx", XLSX: ".xlsx"}
PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}

MAX_NAME_LENGTH = 120  # characters of the kept name, extension included
READ_CHUNK = 64 * 1024
# Inflated PDF streams scanned for scripts, at most (a compressed "bomb" is refused beyond this).
PDF_MAX_INFLATED_BYTES = 200 * 1024 * 1024
OOXML_MAX_ENTRIES = 5000
OOXML_MAX_UNCOMPRESSED = 500 * 1024 * 1024

MSG_EMPTY = _("ファイルが空です。内容のあるファイルを選択してください。")
MSG_TOO_BIG = _("ファイルが大きすぎます。%(max)sMB以下のファイルを選択してください。")
MSG_NOT_ALLOWED = _(
    "このファイルの内容は、受け付けている形式（%(kinds)s）ではありません。ファイルの拡張子を変えただけのものは受け付けられません。"
)
MSG_DANGEROUS = _(
    "このファイルは受け付けられません（プログラムやウェブページなど、危険な内容を含む可能性があるファイルです）。"
)
MSG_HEIC = _("HEIC形式の画像は受け付けていません。JPEGで保存し直すか、スクリーンショットを選択してください。")
MSG_OLD_OFFICE = _(
    "パスワード付き、または古い形式（.doc・.xls）のWord・Excelファイルは受け付けられません。.docx・.xlsx形式で保存し直してください。"
)
MSG_BROKEN_IMAGE = _("画像ファイルが壊れているか、読み取れません。別のファイルを選択してください。")
MSG_IMAGE_PIXELS = _("画像の画素数が大きすぎます（縦×横で%(max)s画素まで）。小さくしてから選択してください。")
MSG_PDF_BROKEN = _("PDFファイルが壊れているか、読み取れません。別のファイルを選択してください。")
MSG_PDF_ENCRYPTED = _("パスワードや暗号化で保護されたPDFは受け付けられません。保護を外したPDFを選択してください。")
MSG_PDF_ACTIVE = _(
    "スクリプトや自動実行の動作、埋め込みファイルを含むPDFは受け付けられません。印刷機能などでPDFに保存し直してください。"
)
MSG_OFFICE_MACRO = _(
    "マクロを含むWord・Excelファイルは受け付けられません。マクロなしの形式（.docx・.xlsx）で保存し直してください。"
)
MSG_OFFICE_BROKEN = _("Word・Excelファイルが壊れているか、読み取れません。別のファイルを選択してください。")

KIND_LABELS = {"pdf": _("PDF"), "image": _("画像（JPEG・PNG・WebP）"), "office": _("Word・Excel")}


class UploadRefused(ServiceError):
    def __init__(self, message: Any, *, code: str = "file_refused", field: str | None = None):
        super().__init__(code, message, field=field, status=422)


@dataclass
class PreparedUpload:
    """A checked file, ready to store. `ref` becomes SubmissionFile.public_id and the answer's "ref"."""

    content: bytes
    name: str
    content_type: str
    sha256: str
    field_name: str = ""  # the form field (or API part) it came from, for messages
    pixel_size: tuple[int, int] | None = None  # (width, height) of an image as re-encoded; None for other kinds
    ref: str = field(default_factory=lambda: str(uuid.uuid4()))
    storage_name: str = field(default_factory=lambda: f"procedures/{uuid.uuid4().hex}")

    @property
    def size(self) -> int:
        return len(self.content)

    def metadata(self) -> dict[str, Any]:
        """The answer stored for a file field (docs/form-definition.md)."""
        return {
            "name": self.name,
            "size": self.size,
            "content_type": self.content_type,
            "ref": self.ref,
            "sha256": self.sha256,
        }


# ---------------------------------------------------------------------------------------------------------
# Sniffing


def sniff(head: bytes) -> str:
    """What the first bytes say the file is: a content type we accept, or a word for what we refuse."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"):
        return "heic"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "cfb"  # old Office (.doc/.xls) or password-protected OOXML
    return "other"


def _looks_like_markup(data: bytes) -> bool:
    """HTML, SVG or XML anywhere a browser might find it (polyglots hide a page after another header)."""
    sample = data[: 1024 * 1024].lower()
    return any(
        marker in sample
        for marker in (b"<script", b"<html", b"<!doctype html", b"<svg", b"<iframe", b"<?xml-stylesheet")
    )


# ---------------------------------------------------------------------------------------------------------
# Checks per kind


def _eight_bit(image: Any) -> Any:
    """16-bit greyscale (scans) scaled to 8 bits rather than clipped to white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        return image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    return image


def _to_srgb(image: Any, icc: bytes | None) -> Any:
    """Colours of a photo with a colour profile (e.g. Display P3) converted to sRGB, as the profile itself is
    dropped with the rest of the metadata. A profile Pillow cannot read leaves the pixels as they are."""
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    from PIL import ImageCms

    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image
    return converted if converted is not None else image


def _reencode_image(data: bytes, content_type: str, *, max_edge: int | None = None) -> tuple[bytes, tuple[int, int]]:
    """Decode and encode again: upright, without any metadata, at most PROCEDURE_UPLOAD_MAX_IMAGE_PIXELS, and
    scaled down to `max_edge` pixels on the longest side when given. Returns the bytes and their pixel size."""
    from PIL import Image, ImageOps

    limit = int(settings.PROCEDURE_UPLOAD_MAX_IMAGE_PIXELS)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != PILLOW_FORMATS[content_type]:
                    raise UploadRefused(MSG_BROKEN_IMAGE, code="file_broken")
                width, height = image.size
                if width * height > limit or width <= 0 or height <= 0:
                    raise UploadRefused(MSG_IMAGE_PIXELS % {"max": f"{limit:,}"}, code="file_too_many_pixels")
                image.seek(0)  # the first frame of an animation
                icc = image.info.get("icc_profile")
                upright = ImageOps.exif_transpose(image)
                upright.load()
                upright = _to_srgb(_eight_bit(upright), icc)
    except UploadRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UploadRefused(MSG_IMAGE_PIXELS % {"max": f"{limit:,}"}, code="file_too_many_pixels") from exc
    except Exception as exc:  # Pillow raises many kinds for broken data (OSError, SyntaxError, ValueError…)
        raise UploadRefused(MSG_BROKEN_IMAGE, code="file_broken") from exc
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info)
    if content_type == JPEG:
        mode = "L" if upright.mode in ("1", "L", "LA") else "RGB"
    else:
        mode = "RGBA" if has_alpha else ("L" if upright.mode in ("1", "L") else "RGB")
    out = io.BytesIO()
    try:
        # `upright` is already a new image of our own (exif_transpose returns a copy): converted only when the
        # mode differs, and with its info emptied the encoders get the pixels and the options given here alone,
        # so nothing of the original (EXIF, XMP, ICC, comments, PNG text) is written. Rebuilding the image from
        # its raw bytes for that would copy every pixel twice more.
        clean = upright.convert(mode) if upright.mode != mode else upright
        if max_edge and max(clean.size) > max_edge:
            clean.thumbnail((max_edge, max_edge), Image.Resampling.LANCZOS)  # in place, on our own copy
        clean.info = {}
        # No optimize passes: on the submission path they cost a third of the encoding time (JPEG's second
        # Huffman pass) or several times it (PNG's exhaustive zlib search) to save under a tenth of the bytes.
        if content_type == JPEG:
            clean.save(out, "JPEG", quality=90)
        elif content_type == PNG:
            clean.save(out, "PNG")
        else:
            clean.save(out, "WEBP", quality=90)
    except (OSError, ValueError) as exc:
        raise UploadRefused(MSG_BROKEN_IMAGE, code="file_broken") from exc
    return out.getvalue(), clean.size


_PDF_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]{1,127})")
_PDF_STREAM = re.compile(rb"(?<!end)stream\r?\n")
# Names that make a PDF act rather than show: scripts, launching programs, forms that submit or import, files
# inside the file. A PDF that needs any of them is not a document a municipality should open.
PDF_ACTIVE_NAMES = frozenset(
    {b"JavaScript", b"JS", b"Launch", b"EmbeddedFile", b"EmbeddedFiles", b"RichMedia", b"SubmitForm",
     b"ImportData", b"GoToE", b"XFA"}
)  # fmt: skip


PDF_LONG_ACTIVE_NAMES = frozenset(name for name in PDF_ACTIVE_NAMES if len(name) >= 5)


def _pdf_names(chunk: bytes) -> set[bytes]:
    names = set()
    for raw in _PDF_NAME.findall(chunk):
        # "#4A" escapes in names (/#4Aava#53cript) are decoded, so spelling cannot hide an action.
        names.add(re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw))
    return names


def _pdf_parts(data: bytes) -> tuple[bytes, list[bytes]]:
    """The file without its stream bodies (where dictionaries and actions are written), and the decompressed
    object streams (/ObjStm, where PDF 1.5+ can hide dictionaries). Other streams (pages, images, fonts) are
    not scanned: they cannot carry actions, and their binary data would match names by chance."""
    outside: list[bytes] = []
    hidden: list[bytes] = []
    total = 0
    position = 0
    for match in _PDF_STREAM.finditer(data):
        if match.start() < position:
            continue
        body_start = match.end()
        body_end = data.find(b"endstream", body_start)
        if body_end < 0:
            break
        header = data[max(data.rfind(b"obj", position, match.start()), position) : match.start()]
        outside.append(data[position : match.start()])
        position = body_end
        if b"ObjStm" not in b"".join(_pdf_names(header)):
            continue
        inflater = zlib.decompressobj()
        try:
            chunk = inflater.decompress(data[body_start:body_end], PDF_MAX_INFLATED_BYTES - total + 1)
        except zlib.error as exc:
            # An object stream we cannot read could hide anything; Flate is what producers use for them.
            raise UploadRefused(MSG_PDF_BROKEN, code="file_broken") from exc
        total += len(chunk)
        if total > PDF_MAX_INFLATED_BYTES:
            raise UploadRefused(MSG_PDF_BROKEN, code="file_broken")
        hidden.append(chunk)
    outside.append(data[position:])
    return b"".join(outside), hidden


def check_pdf(data: bytes) -> None:
    if b"%%EOF" not in data[-2048:]:
        raise UploadRefused(MSG_PDF_BROKEN, code="file_broken")
    # Long names are looked for everywhere (they do not occur by chance, and a fake "stream" inside a string
    # cannot hide them); the short /JS and /XFA only outside page and image data, and in object streams.
    everywhere = _pdf_names(data)
    if b"Encrypt" in everywhere:
        raise UploadRefused(MSG_PDF_ENCRYPTED, code="pdf_encrypted")
    outside, object_streams = _pdf_parts(data)
    names = (everywhere & PDF_LONG_ACTIVE_NAMES) | _pdf_names(outside)
    for chunk in object_streams:
        names |= _pdf_names(chunk)
    if names & PDF_ACTIVE_NAMES:
        raise UploadRefused(MSG_PDF_ACTIVE, code="pdf_active_content")


def check_office(data: bytes) -> str:
    """The content type of a Word or Excel OOXML file without macros (refused otherwise)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > OOXML_MAX_ENTRIES or sum(e.file_size for e in entries) > OOXML_MAX_UNCOMPRESSED:
                raise UploadRefused(MSG_OFFICE_BROKEN, code="file_broken")
            names = {entry.filename for entry in entries}
            if "[Content_Types].xml" not in names:
                raise UploadRefused(MSG_NOT_ALLOWED_OFFICE, code="file_type")
            with archive.open("[Content_Types].xml") as handle:
                content_types = handle.read(1024 * 1024).lower()
    except UploadRefused:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError) as exc:
        raise UploadRefused(MSG_OFFICE_BROKEN, code="file_broken") from exc
    if b"macroenabled" in content_types or any(name.lower().endswith("vbaproject.bin") for name in names):
        raise UploadRefused(MSG_OFFICE_MACRO, code="office_macro")
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    raise UploadRefused(MSG_NOT_ALLOWED_OFFICE, code="file_type")


MSG_NOT_ALLOWED_OFFICE = _("Word（.docx）またはExcel（.xlsx）のファイルではありません。")


# ---------------------------------------------------------------------------------------------------------
# Names

_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])$", re.IGNORECASE)
_UNSAFE_CHARS = re.compile(r'[<>:"/\\|?*]')


def sanitise_filename(raw: str, content_type: str) -> str:
    """The name to keep and offer on download: NFC, no path, no control or direction-changing characters,
    at most MAX_NAME_LENGTH characters, and the extension of what the file really is."""
    text = unicodedata.normalize("NFC", str(raw or ""))
    text = re.split(r"[/\\]", text)[-1]  # the last path part only (../../etc/passwd → passwd)
    # Control (Cc), format (Cf: bidi overrides such as U+202E, zero-width), surrogates and unassigned.
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    text = _UNSAFE_CHARS.sub("_", text)
    text = " ".join(text.split())  # any run of white space becomes one space
    stem = text.rsplit(".", 1)[0] if "." in text else text
    stem = stem.strip(" .")
    extension = EXTENSIONS[content_type]
    if not stem or _WINDOWS_RESERVED.match(stem):
        stem = f"file_{stem}" if stem else "file"
    stem = stem[: MAX_NAME_LENGTH - len(extension)].rstrip(" .") or "file"
    return stem + extension


# ---------------------------------------------------------------------------------------------------------
# The whole check


def allowed_content_types(kinds: tuple[str, ...]) -> set[str]:
    allowed = set()
    if "pdf" in kinds:
        allowed.add(PDF)
    if "image" in kinds:
        allowed |= {JPEG, PNG, WEBP}
    if "office" in kinds:
        allowed |= {DOCX, XLSX}
    return allowed


def kinds_text(kinds: tuple[str, ...]) -> str:
    from django.utils.translation import get_language

    separator = ", " if (get_language() or "ja").startswith("en") else "、"
    return separator.join(str(KIND_LABELS[kind]) for kind in kinds if kind in KIND_LABELS)


def _read(upload: UploadedFile, limit: int) -> bytes:
    buffer = bytearray()
    upload.seek(0)
    for chunk in upload.chunks(READ_CHUNK):
        buffer += chunk
        if len(buffer) > limit:
            break
    upload.seek(0)
    return bytes(buffer)


def _mb(value: Decimal | float | int) -> str:
    text = f"{Decimal(str(value)).normalize():f}"
    return text


def prepare_upload(
    upload: UploadedFile, *, kinds: tuple[str, ...], max_bytes: int, field_name: str = "", max_edge: int | None = None
) -> PreparedUpload:
    """Check one uploaded file against a field's allowed kinds and size; see the module docstring. `max_edge`
    scales an image down to that many pixels on its longest side in the same re-encoding."""
    max_mb = _mb(Decimal(max_bytes) / (1024 * 1024))
    size = upload.size or 0
    if size > max_bytes:
        raise UploadRefused(MSG_TOO_BIG % {"max": max_mb}, code="file_too_big", field=field_name)
    data = _read(upload, max_bytes)
    if not data:
        raise UploadRefused(MSG_EMPTY, code="file_empty", field=field_name)
    if len(data) > max_bytes:
        raise UploadRefused(MSG_TOO_BIG % {"max": max_mb}, code="file_too_big", field=field_name)
    allowed = allowed_content_types(kinds)
    sniffed = sniff(data[:64])
    pixel_size = None
    try:
        if sniffed == "heic" and "image" in kinds:
            raise UploadRefused(MSG_HEIC, code="file_type")
        if sniffed == "cfb" and "office" in kinds:
            raise UploadRefused(MSG_OLD_OFFICE, code="file_type")
        if sniffed == "zip" and "office" in kinds:
            sniffed = check_office(data)
        if sniffed not in allowed:
            if sniffed == "other" and (data[:2] == b"MZ" or data[:4] == b"\x7fELF" or _looks_like_markup(data)):
                raise UploadRefused(MSG_DANGEROUS, code="file_dangerous")
            raise UploadRefused(MSG_NOT_ALLOWED % {"kinds": kinds_text(kinds)}, code="file_type")
        if sniffed == PDF:
            if _looks_like_markup(data):
                raise UploadRefused(MSG_DANGEROUS, code="file_dangerous")
            check_pdf(data)
        elif sniffed in PILLOW_FORMATS:
            data, pixel_size = _reencode_image(data, sniffed, max_edge=max_edge)
            if len(data) > max_bytes:
                raise UploadRefused(MSG_TOO_BIG % {"max": max_mb}, code="file_too_big")
    except UploadRefused as refused:
        refused.field = field_name
        raise
    return PreparedUpload(
        content=data,
        name=sanitise_filename(upload.name or "", sniffed),
        content_type=sniffed,
        sha256=hashlib.sha256(data).hexdigest(),
        field_name=field_name,
        pixel_size=pixel_size,
    )


# ---------------------------------------------------------------------------------------------------------
# Request bodies over the limit


class UploadSizeGuard(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS: stops keeping a file once it passes the largest size any field allows,
    or once the request's files pass the per-application total, and notes which field it was on the request
    (`request.upload_refused`), so the page says so at that field instead of failing. The rest of the body
    is read and thrown away; the reverse proxy's client_max_body_size bounds how much that can be."""

    def __init__(self, request: Any = None):
        super().__init__(request)
        self.file_bytes = 0
        self.total_bytes = 0
        if request is not None and not hasattr(request, "upload_refused"):
            request.upload_refused = {}

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, *args, **kwargs)
        self.file_bytes = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.file_bytes += len(raw_data)
        self.total_bytes += len(raw_data)
        per_file = int(settings.PROCEDURE_UPLOAD_MAX_FILE_MB * 1024 * 1024)
        total = int(settings.PROCEDURE_UPLOAD_MAX_TOTAL_MB * 1024 * 1024)
        if self.file_bytes > per_file or self.total_bytes > total:
            self.total_bytes -= self.file_bytes  # a file not kept does not count towards the others
            if self.request is not None:
                refused = getattr(self.request, "upload_refused", {})
                refused[self.field_name] = (
                    per_file if self.file_bytes > per_file else total,
                    "file" if self.file_bytes > per_file else "total",
                )
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def refused_in_request(request: Any) -> dict[str, str]:
    """Messages for the files the UploadSizeGuard did not keep, by form field name."""
    messages = {}
    for name, (limit, reason) in getattr(request, "upload_refused", {}).items():
        if reason == "file":
            messages[name] = str(MSG_TOO_BIG % {"max": _mb(Decimal(limit) / (1024 * 1024))})
        else:
            messages[name] = str(MSG_TOTAL_TOO_BIG % {"max": _mb(Decimal(limit) / (1024 * 1024))})
    return messages


MSG_TOTAL_TOO_BIG = _("一度に送れるファイルは合計%(max)sMBまでです。ファイルを分けて送るか、小さくしてください。")


# ---------------------------------------------------------------------------------------------------------
# A page form's uploads


def take_page_uploads(form: Any, request: Any) -> tuple[list[PreparedUpload], dict[str, str]]:
    """Check every file posted to a page form (before it is validated) and put the checked file's metadata
    in its place, so the form sees the sniffed type and real size. Returns the checked uploads (for the
    service to store) and a message per form field whose file was refused. Pages changed by an action
    (add/remove an item, postcode look-up) keep no files: nothing is submitted yet."""
    from .engine.forms import FileAnswerField

    if getattr(form, "action", None) is not None:
        return [], {}
    errors = {name: message for name, message in refused_in_request(request).items() if name in form.fields}
    uploads: list[PreparedUpload] = []
    for name, form_field in form.fields.items():
        if not isinstance(form_field, FileAnswerField) or name in errors:
            continue
        value = form.mfiles.get(name)
        if not isinstance(value, UploadedFile):
            continue
        try:
            prepared = prepare_upload(
                value, kinds=form_field.member.kinds, max_bytes=form_field.member.max_bytes, field_name=name
            )
        except UploadRefused as refused:
            errors[name] = str(refused.message)
            del form.mfiles[name]
            continue
        form.mfiles[name] = prepared.metadata()
        uploads.append(prepared)
    return uploads, errors


def show_upload_errors(form: Any, errors: dict[str, str]) -> None:
    """Put the refusals on their fields, replacing what the form said about the (removed) file."""
    for name, message in errors.items():
        form.errors.pop(name, None)
        form.add_error(name, message)
