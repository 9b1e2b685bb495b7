"""Attachments: which files are accepted (by extension AND content), their display name and
their name on disk. Shared by every app that takes uploads (conference meetings and
reports, pairing work contacts)."""

from __future__ import annotations

import os
import re
import unicodedata
import uuid
import zipfile

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc / .xls
_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# extension → (content type, what the first bytes must be, a member an OOXML zip must hold)
UPLOAD_TYPES: dict[str, tuple[str, tuple[bytes, ...], str]] = {
    ".pdf": ("application/pdf", (b"%PDF-",), ""),
    ".doc": ("application/msword", (_OLE,), ""),
    ".docx": (_DOCX, (b"PK\x03\x04",), "word/document.xml"),
    ".xls": ("application/vnd.ms-excel", (_OLE,), ""),
    ".xlsx": (_XLSX, (b"PK\x03\x04",), "xl/workbook.xml"),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",), ""),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",), ""),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",), ""),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a"), ""),
}


def content_matches(upload: UploadedFile, ext: str) -> bool:
    """Whether the file's first bytes (and, for OOXML, its main part) fit its extension."""
    _type, magics, member = UPLOAD_TYPES[ext]
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(m) for m in magics):
        return False
    if member:
        try:
            with zipfile.ZipFile(upload) as archive:
                ok = member in archive.namelist()
        except zipfile.BadZipFile:
            ok = False
        upload.seek(0)
        return ok
    return True


def clean_filename(name: str) -> str:
    """The original file name, for display and download only: no path, no control chars."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip(" .")
    if len(name) > 200:
        stem, ext = os.path.splitext(name)
        name = stem[: 200 - len(ext)] + ext
    return name or "file"


def validate_upload(upload: UploadedFile, max_bytes: int) -> tuple[str, str]:
    """Check an upload's size, extension and content; return (extension, content type)."""
    if upload.size > max_bytes:
        raise ValidationError(
            _("The file is too large: at most %(mb)d MB.") % {"mb": max_bytes // 2**20}
        )
    ext = os.path.splitext(upload.name or "")[1].lower()
    if ext not in UPLOAD_TYPES:
        raise ValidationError(
            _("This type of file is not accepted. Upload PDF, Word, Excel or an image (%(ext)s).")
            % {"ext": " ".join(sorted(UPLOAD_TYPES))}
        )
    if not content_matches(upload, ext):
        raise ValidationError(
            _("The file's content does not match its extension %(ext)s.") % {"ext": ext}
        )
    return ext, UPLOAD_TYPES[ext][0]


def safe_storage_name(ext: str) -> str:
    """A generated name on disk: the user's file name never reaches the file system."""
    return f"{uuid.uuid4().hex}{ext}"
