"""Safe reading of uploaded Excel workbooks, shared by every app's import.

``check_upload`` refuses anything but a modest, honest xlsx before any XML parser sees it
(extension, size cap, zip structure, encrypted members, zip bombs by total size and by
compression ratio, and any DTD or entity declaration, which is how XML bombs and XXE
work); ``open_workbook`` then hands the bytes to openpyxl in read-only mode. Errors found
in the rows are ``CellError``s named by row and by the workbook's (Chinese) column header.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from io import BytesIO

from django.utils.translation import gettext as _

MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024
MAX_RATIO = 100  # uncompressed / compressed, for any member over RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
MAX_MEMBERS = 1000


class ImportRejected(Exception):
    """The file as a whole cannot be read (not xlsx, too big, a bomb, no headers)."""


@dataclass(frozen=True)
class CellError:
    row: int
    column: str  # the workbook's header, e.g. 统一社会信用代码
    message: str

    def __str__(self) -> str:
        if not self.column:
            return _("Row %(row)d: %(message)s") % {"row": self.row, "message": self.message}
        return _("Row %(row)d, column “%(column)s”: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


def check_upload(
    name: str,
    data: bytes,
    *,
    max_bytes: int,
    max_uncompressed: int = MAX_UNCOMPRESSED_BYTES,
) -> None:
    """Raise ImportRejected unless ``data`` is a plausible xlsx of at most ``max_bytes``."""
    if not name.lower().endswith(".xlsx"):
        raise ImportRejected(_("Only Excel workbooks (.xlsx) can be imported."))
    if len(data) > max_bytes:
        raise ImportRejected(
            _("The file is larger than %(size)d MB.") % {"size": max_bytes // 1024**2}
        )
    not_xlsx = _("The file is not a valid Excel workbook (.xlsx).")
    if not zipfile.is_zipfile(BytesIO(data)):
        raise ImportRejected(not_xlsx)
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                raise ImportRejected(not_xlsx)
            if len(members) > MAX_MEMBERS:
                raise ImportRejected(not_xlsx)
            bomb = ImportRejected(_("The file expands to too much data to be imported."))
            if sum(m.file_size for m in members) > max_uncompressed:
                raise bomb
            for member in members:
                if member.flag_bits & 0x1:  # encrypted
                    raise ImportRejected(not_xlsx)
                ratio = member.file_size / max(member.compress_size, 1)
                if member.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
                    raise bomb
            for member in members:
                if member.filename.endswith((".xml", ".rels", ".vml")):
                    _refuse_dtd(archive, member)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise ImportRejected(not_xlsx) from exc


def _refuse_dtd(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    """A workbook never needs a DTD; entities are how XML bombs and XXE work."""
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(1 << 16):
            window = (tail + chunk).upper()
            if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                raise ImportRejected(_("The file contains XML declarations that are not allowed."))
            tail = chunk[-16:]


def open_workbook(name: str, data: bytes, *, max_bytes: int, **limits):
    """Check the upload, then open it with openpyxl in read-only, values-only mode."""
    from openpyxl import load_workbook

    check_upload(name, data, max_bytes=max_bytes, **limits)
    try:
        return load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on malformed parts
        raise ImportRejected(_("The file is not a valid Excel workbook (.xlsx).")) from exc


def header_key(value) -> str:
    """A header cell as the template spells it: no spaces, no trailing required-mark."""
    return re.sub(r"\s+", "", str(value or "")).rstrip("*＊")
