"""Import of enterprises from the xlsx template, all or nothing.

1. ``core.xlsx_import.open_workbook`` checks the upload (xlsx only, size cap, zip bomb,
   no XML DTD/entity) before openpyxl reads it in read-only mode;
2. ``Parser`` turns each row into an ``EnterpriseRow`` or into errors named by row and by
   the template's Chinese column header (invalid credit code with the check character it
   should have, unknown industry code or label, a number in a text column, text in a
   number column, a missing required cell, a credit code twice in the file);
3. ``apply`` writes everything in one transaction, in bulk: unknown credit codes create
   enterprises, known ones are updated only where something differs, so re-importing the
   same file changes nothing.

Rows go to one side of one partnership, chosen on the import page. Files with more rows
than ``ENTERPRISE_IMPORT_SYNC_ROWS`` run as a huey job (``tasks.run_import``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from io import BytesIO

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.core.models import Partnership, Region, User
from xietong.core.xlsx_import import CellError, ImportRejected, header_key, open_workbook

from . import services
from .models import Contact, Enterprise, IndustryCode, Label, MainProduct, credit_code_error

TEXT, NUMBER, INTEGER, CODE, LIST, BOOL, PHONE = (
    "text",
    "number",
    "integer",
    "code",
    "list",
    "bool",
    "phone",
)

# (field, header in the workbook, required, kind). The headers are the data format staff
# use, so they are Chinese in every interface language.
COLUMNS: list[tuple[str, str, bool, str]] = [
    ("credit_code", "统一社会信用代码", True, CODE),
    ("name", "企业名称", True, TEXT),
    ("district", "所在区县", False, TEXT),
    ("industries", "行业代码", True, LIST),
    ("size_class", "企业规模", False, TEXT),
    ("labels", "企业标签", False, LIST),
    ("revenue", "营业收入（万元）", False, NUMBER),
    ("output_value", "工业总产值（万元）", False, NUMBER),
    ("employees", "从业人数", False, INTEGER),
    ("address", "地址", False, TEXT),
    ("main_products", "主要产品及占比", False, LIST),
    ("processes", "工艺能力", False, TEXT),
    ("equipment", "主要设备", False, TEXT),
    ("certifications", "资质认证", False, TEXT),
    ("contact_name", "联系人", False, TEXT),
    ("contact_position", "联系人职务", False, TEXT),
    ("contact_phone", "联系电话", False, PHONE),
    ("contact_email", "电子邮箱", False, TEXT),
    ("shared", "向对口方共享", False, BOOL),
    ("description", "企业简介", False, TEXT),
]
HEADER = {name: header for name, header, _r, _k in COLUMNS}
SIZE_WORDS = {"规上": "above", "规模以上": "above", "规下": "below", "规模以下": "below"}
YES = {"是", "共享", "yes", "y", "true", "1"}
NO = {"否", "不共享", "no", "n", "false", "0", ""}
LIST_SPLIT = re.compile(r"[、,，;；\n]+")
PRODUCT = re.compile(r"^(?P<name>.+?)(?:\s*[：:（(]\s*(?P<share>\d+(?:\.\d+)?)\s*%?\s*[)）]?)?$")
SCALARS = [
    "name",
    "district",
    "size_class",
    "revenue",
    "output_value",
    "employees",
    "address",
    "processes",
    "equipment",
    "certifications",
    "shared",
    "description",
]
TWO_PLACES = Decimal("0.01")


def max_upload_bytes() -> int:
    mb = getattr(settings, "ENTERPRISE_IMPORT_MAX_MB", None) or int(
        os.environ.get("XIETONG_ENTERPRISE_IMPORT_MAX_MB", "30")
    )
    return int(mb) * 1024 * 1024


def sync_rows() -> int:
    """Files with more rows than this run as a background job."""
    return int(
        getattr(settings, "ENTERPRISE_IMPORT_SYNC_ROWS", None)
        or os.environ.get("XIETONG_ENTERPRISE_IMPORT_SYNC_ROWS", "2000")
    )


MAX_ROWS = 100_000


@dataclass
class EnterpriseRow:
    row: int
    credit_code: str
    values: dict  # the scalar fields
    industries: list[str]
    labels: list[str]
    main_products: list[tuple[str, Decimal | None]]
    contact: dict | None


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[CellError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [[e.row, e.column, e.message] for e in self.errors],
        }


Progress = Callable[[int, int], None]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _is_number(value) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _number(value) -> Decimal | None:
    if _is_number(value):
        return Decimal(str(value))
    text = re.sub(r"[,，\s]", "", str(value))
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def read_rows(workbook) -> tuple[dict[str, int], Iterator[tuple[int, tuple]], int]:
    """The column index of each known header, the (row number, values) of data rows, and
    the number of rows the sheet says it holds (0 when unknown)."""
    for ws in (workbook[name] for name in workbook.sheetnames):
        first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
        headers = {header_key(v): i for i, v in enumerate(first) if header_key(v)}
        if HEADER["credit_code"] in headers:
            break
    else:
        raise ImportRejected(
            _("No sheet has the template's headers in its first row (e.g. “%(header)s”).")
            % {"header": HEADER["credit_code"]}
        )
    columns = {name: headers[h] for name, h, _r, _k in COLUMNS if h in headers}
    missing = [h for name, h, required, _k in COLUMNS if required and name not in columns]
    if missing:
        raise ImportRejected(
            _("The first row lacks the required columns: %(columns)s.")
            % {"columns": "、".join(missing)}
        )
    total = max((ws.max_row or 1) - 1, 0)
    return columns, enumerate(ws.iter_rows(min_row=2, values_only=True), start=2), total


def count_rows(name: str, data: bytes) -> int:
    """How many data rows the workbook declares (to decide: now, or as a job)."""
    workbook = open_workbook(name, data, max_bytes=max_upload_bytes())
    try:
        return read_rows(workbook)[2]
    finally:
        workbook.close()


class Parser:
    def __init__(self):
        self.codes = set(IndustryCode.objects.values_list("code", flat=True))
        self.labels = {label.name: label.code for label in Label.objects.all()}
        self.label_codes = {label.code for label in Label.objects.all()}
        lengths = {f.name: getattr(f, "max_length", None) for f in Enterprise._meta.fields}
        self.max_length = {
            **lengths,
            "contact_name": 40,
            "contact_position": 60,
            "contact_phone": 30,
            "contact_email": 254,
        }

    def parse(
        self, workbook, progress: Progress | None = None
    ) -> tuple[list[EnterpriseRow], list[CellError]]:
        columns, rows, total = read_rows(workbook)
        items = list(columns.items())
        parsed: list[EnterpriseRow] = []
        errors: list[CellError] = []
        seen: dict[str, int] = {}
        count = 0
        for number, values in rows:
            width = len(values)
            cells = {name: values[i] if i < width else None for name, i in items}
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells.values()):
                continue
            count += 1
            if count > MAX_ROWS:
                raise ImportRejected(
                    _("An import may hold at most %(count)d rows.") % {"count": MAX_ROWS}
                )
            row, row_errors = self.parse_row(number, cells)
            if row is not None and row.credit_code:
                code = row.credit_code
                if code in seen:
                    row_errors.append(
                        CellError(
                            number,
                            HEADER["credit_code"],
                            _("duplicate credit code %(code)s (also on row %(row)d)")
                            % {"code": code, "row": seen[code]},
                        )
                    )
                else:
                    seen[code] = number
            if row_errors:
                errors += row_errors
            else:
                parsed.append(row)
            if progress is not None and count % 1000 == 0:
                progress(count, total)
        if not count and not errors:
            raise ImportRejected(_("The file holds no enterprises."))
        return parsed, errors

    def parse_row(self, number: int, cells: dict) -> tuple[EnterpriseRow | None, list[CellError]]:
        errors: list[CellError] = []

        def err(name: str, message) -> None:
            errors.append(CellError(number, HEADER[name], str(message)))

        values: dict = {}
        for name, _header, required, kind in COLUMNS:
            raw = cells.get(name)
            empty = raw is None or (isinstance(raw, str) and not raw.strip())
            if empty:
                if required:
                    err(name, _("this cell is required"))
                values[name] = None
                continue
            if kind in (TEXT, CODE, LIST) and _is_number(raw) and name != "industries":
                err(
                    name,
                    _("a number (%(value)s) where text is expected; format the cell as text")
                    % {"value": _text(raw)},
                )
                continue
            if kind in (NUMBER, INTEGER):
                amount = _number(raw)
                if amount is None:
                    err(name, _("“%(value)s” is not a number") % {"value": _text(raw)})
                    continue
                if amount < 0:
                    err(name, _("the number cannot be negative"))
                    continue
                if kind == INTEGER:
                    if amount != amount.to_integral_value():
                        err(name, _("“%(value)s” is not a whole number") % {"value": _text(raw)})
                        continue
                    values[name] = int(amount)
                elif amount >= Decimal("1e12"):
                    err(name, _("the number is too large"))
                else:
                    values[name] = amount.quantize(TWO_PLACES)
                continue
            text = _text(raw)
            limit = self.max_length.get(name)
            if kind == TEXT and limit and len(text) > limit:
                err(
                    name,
                    _("at most %(limit)d characters (this cell has %(n)d)")
                    % {"limit": limit, "n": len(text)},
                )
                continue
            values[name] = text

        code = (values.get("credit_code") or "").upper().replace(" ", "")
        if code:
            problem = credit_code_error(code)
            if problem:
                err("credit_code", problem)
        industries: list[str] = []
        if values.get("industries"):
            for part in LIST_SPLIT.split(values["industries"]):
                part = part.strip()
                if not part:
                    continue
                token = part.split()[0].upper()
                if token not in self.codes:
                    err(
                        "industries",
                        _("unknown industry code “%(code)s” (not in GB/T 4754-2017)")
                        % {"code": part},
                    )
                elif token not in industries:
                    industries.append(token)
        labels: list[str] = []
        for part in LIST_SPLIT.split(values.get("labels") or ""):
            part = part.strip()
            if not part:
                continue
            label = self.labels.get(part) or (part if part in self.label_codes else None)
            if label is None:
                err(
                    "labels",
                    _("unknown label “%(label)s”; use one of: %(labels)s")
                    % {"label": part, "labels": "、".join(self.labels)},
                )
            elif label not in labels:
                labels.append(label)
        size = values.get("size_class")
        if size:
            values["size_class"] = SIZE_WORDS.get(size)
            if values["size_class"] is None:
                err("size_class", _("write 规上 or 规下, not “%(value)s”") % {"value": size})
        else:
            values["size_class"] = Enterprise.Size.BELOW
        shared = (values.get("shared") or "").lower()
        if shared in YES:
            values["shared"] = True
        elif shared in NO:
            values["shared"] = False
        else:
            err("shared", _("write 是 or 否, not “%(value)s”") % {"value": values["shared"]})
        products: list[tuple[str, Decimal | None]] = []
        for part in LIST_SPLIT.split(values.get("main_products") or ""):
            part = part.strip()
            if not part:
                continue
            m = PRODUCT.match(part)
            share = Decimal(m["share"]).quantize(TWO_PLACES) if m and m["share"] else None
            name = m["name"].strip() if m else part
            if (share is not None and share > 100) or len(name) > 100:
                err(
                    "main_products",
                    _("cannot read “%(value)s”; write products as 汽车座椅：60%%、内饰件：40%%")
                    % {"value": part},
                )
            else:
                products.append((name, share))
        if sum(s for _n, s in products if s is not None) > 100:
            err("main_products", _("the shares of the main products add up to more than 100%"))
        contact = None
        if values.get("contact_name"):
            email = values.get("contact_email") or ""
            if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
                err("contact_email", _("“%(value)s” is not an e-mail address") % {"value": email})
            contact = {
                "name": values["contact_name"],
                "position": values.get("contact_position") or "",
                "phone": values.get("contact_phone") or "",
                "email": email,
            }
        elif values.get("contact_phone") or values.get("contact_email"):
            err("contact_name", _("a phone or e-mail needs the contact's name"))
        if errors:
            return EnterpriseRow(number, code, {}, [], [], [], None), errors
        scalars = {name: values.get(name) for name in SCALARS}
        for name in SCALARS:
            if scalars[name] is None and name not in ("revenue", "output_value", "employees"):
                scalars[name] = ""
        return EnterpriseRow(number, code, scalars, industries, labels, products, contact), []


# --- Applying ---------------------------------------------------------------------------


def _chunks(items: list, size: int = 900) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def apply(
    user: User, partnership: Partnership, side: Region, rows: list[EnterpriseRow]
) -> ImportResult:
    """Write the rows in one transaction (all or nothing); only differences are written."""
    result = ImportResult()
    codes = [r.credit_code for r in rows]
    existing: dict[str, Enterprise] = {}
    for chunk in _chunks(codes):
        for ent in Enterprise.objects.filter(credit_code__in=chunk):
            existing[ent.credit_code] = ent
    for r in rows:
        ent = existing.get(r.credit_code)
        if ent is not None and (ent.partnership_id, ent.side_id) != (partnership.pk, side.pk):
            result.errors.append(
                CellError(
                    r.row,
                    HEADER["credit_code"],
                    _(
                        "%(code)s is already registered for another side or pair; it cannot "
                        "be imported here"
                    )
                    % {"code": r.credit_code},
                )
            )
    if result.errors:
        return result

    industry_ids = dict(IndustryCode.objects.values_list("code", "pk"))
    label_ids = dict(Label.objects.values_list("code", "pk"))
    ids = [e.pk for e in existing.values()]
    now_industries: dict[int, set[int]] = {}
    now_labels: dict[int, set[int]] = {}
    now_products: dict[int, list[tuple[str, Decimal | None]]] = {}
    now_contacts: dict[int, list[dict]] = {}
    IndustryLink = Enterprise.industries.through
    LabelLink = Enterprise.labels.through
    for chunk in _chunks(ids):
        for eid, iid in IndustryLink.objects.filter(enterprise_id__in=chunk).values_list(
            "enterprise_id", "industrycode_id"
        ):
            now_industries.setdefault(eid, set()).add(iid)
        for eid, lid in LabelLink.objects.filter(enterprise_id__in=chunk).values_list(
            "enterprise_id", "label_id"
        ):
            now_labels.setdefault(eid, set()).add(lid)
        for p in MainProduct.objects.filter(enterprise_id__in=chunk).order_by(
            "enterprise_id", "position", "pk"
        ):
            now_products.setdefault(p.enterprise_id, []).append((p.name, p.share))
        for c in Contact.objects.filter(enterprise_id__in=chunk).order_by(
            "enterprise_id", "position_order", "pk"
        ):
            now_contacts.setdefault(c.enterprise_id, []).append(
                {"name": c.name, "position": c.position, "phone": c.phone, "email": c.email}
            )

    new: list[tuple[EnterpriseRow, Enterprise]] = []
    changed: list[Enterprise] = []
    relink: list[tuple[EnterpriseRow, Enterprise, set[str]]] = []
    for r in rows:
        ent = existing.get(r.credit_code)
        if ent is None:
            ent = Enterprise(partnership=partnership, side=side, credit_code=r.credit_code)
            for name, value in r.values.items():
                setattr(ent, name, value)
            new.append((r, ent))
            continue
        dirty = [n for n, v in r.values.items() if getattr(ent, n) != v]
        for name in dirty:
            setattr(ent, name, r.values[name])
        parts = set()
        if now_industries.get(ent.pk, set()) != {industry_ids[c] for c in r.industries}:
            parts.add("industries")
        if now_labels.get(ent.pk, set()) != {label_ids[c] for c in r.labels}:
            parts.add("labels")
        if r.main_products and now_products.get(ent.pk, []) != r.main_products:
            parts.add("main_products")
        if r.contact and now_contacts.get(ent.pk, []) != [r.contact]:
            parts.add("contacts")
        if dirty or parts:
            ent.updated_at = timezone.now()
            changed.append(ent)
            if parts:
                relink.append((r, ent, parts))
            result.updated += 1
        else:
            result.unchanged += 1

    with transaction.atomic():
        created = Enterprise.objects.bulk_create([e for _r, e in new], batch_size=500)
        result.created = len(created)
        if changed:
            Enterprise.objects.bulk_update(changed, [*SCALARS, "updated_at"], batch_size=500)
            for chunk in _chunks([e.pk for e in changed]):
                Enterprise.objects.filter(pk__in=chunk).update(version=F("version") + 1)
        links, label_links, products, contacts = [], [], [], []
        replace = {"industries": [], "labels": [], "main_products": [], "contacts": []}
        todo = [(r, e, {"industries", "labels", "main_products", "contacts"}) for r, e in new]
        for r, e, parts in [*todo, *relink]:
            for part in parts:
                replace[part].append(e.pk)
            if "industries" in parts:
                links += [IndustryLink(enterprise_id=e.pk, industrycode_id=industry_ids[c])
                          for c in r.industries]  # fmt: skip
            if "labels" in parts:
                label_links += [LabelLink(enterprise_id=e.pk, label_id=label_ids[c])
                                for c in r.labels]  # fmt: skip
            if "main_products" in parts:
                products += [
                    MainProduct(enterprise_id=e.pk, position=i, name=n, share=s)
                    for i, (n, s) in enumerate(r.main_products, start=1)
                ]
            if "contacts" in parts and r.contact:
                contacts.append(Contact(enterprise_id=e.pk, position_order=1, **r.contact))
        existing_ids = {e.pk for e in changed}
        for part, model, key in [
            ("industries", IndustryLink, "enterprise_id"),
            ("labels", LabelLink, "enterprise_id"),
            ("main_products", MainProduct, "enterprise_id"),
            ("contacts", Contact, "enterprise_id"),
        ]:
            stale = [pk for pk in replace[part] if pk in existing_ids]
            for chunk in _chunks(stale):
                model.objects.filter(**{f"{key}__in": chunk}).delete()
        IndustryLink.objects.bulk_create(links, batch_size=1000)
        LabelLink.objects.bulk_create(label_links, batch_size=1000)
        MainProduct.objects.bulk_create(products, batch_size=1000)
        Contact.objects.bulk_create(contacts, batch_size=1000)
        if result.created or result.updated:
            reindex_later(partnership)
    return result


def reindex_later(partnership) -> None:
    """Bulk writes send no signals: rebuild the pair's matching index after commit."""

    def run():
        from . import tasks

        tasks.rebuild_index(partnership.pk)

    transaction.on_commit(run)


def import_file(
    user: User,
    partnership: Partnership,
    side: Region,
    name: str,
    data: bytes,
    progress: Progress | None = None,
) -> ImportResult:
    """Check, parse and apply a workbook; nothing is written unless every row is good."""
    if not services.permission(user, "create", partnership=partnership, side=side):
        raise PermissionDenied(_("Only staff of this side import its enterprises."))
    workbook = open_workbook(name, data, max_bytes=max_upload_bytes())
    try:
        rows, errors = Parser().parse(workbook, progress)
    finally:
        workbook.close()
    if errors:
        return ImportResult(errors=errors)
    return apply(user, partnership, side, rows)


# --- The template -------------------------------------------------------------------------

INSTRUCTIONS = {
    "credit_code": gettext_lazy(
        "18 characters (GB 32100-2015); a known code updates that enterprise."
    ),
    "name": gettext_lazy("Registered name, up to 200 characters."),
    "district": gettext_lazy("The district or county where the enterprise sits, e.g. 渝北区."),
    "industries": gettext_lazy(
        "GB/T 4754-2017 codes (division, group or class), several separated by 、 e.g. 3670、3660"
    ),
    "size_class": gettext_lazy("规上 or 规下; 规下 when empty."),
    "labels": gettext_lazy("Names from the list, separated by 、"),
    "revenue": gettext_lazy("A number in 10,000 yuan."),
    "output_value": gettext_lazy("A number in 10,000 yuan."),
    "employees": gettext_lazy("A whole number."),
    "address": gettext_lazy("Up to 200 characters."),
    "main_products": gettext_lazy(
        "In order of importance, with the share of revenue: 汽车座椅：60%、内饰件：40%"
    ),
    "processes": gettext_lazy("Processes the enterprise masters, separated by 、"),
    "equipment": gettext_lazy("Main equipment, separated by 、"),
    "certifications": gettext_lazy("e.g. IATF 16949、ISO 9001"),
    "contact_name": gettext_lazy("Personal data: shown masked on the platform."),
    "contact_position": gettext_lazy("Free text."),
    "contact_phone": gettext_lazy("Mobile or office number."),
    "contact_email": gettext_lazy("An e-mail address."),
    "shared": gettext_lazy("是 to make the record visible to the partner side; 否 when empty."),
    "description": gettext_lazy("Free text."),
}


def template_workbook() -> bytes:
    """The empty enterprise sheet with Chinese headers, drop-downs and instructions."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "企业名录"
    ws.append([header for _n, header, _r, _k in COLUMNS])
    choices = {"size_class": ["规上", "规下"], "shared": ["是", "否"]}
    for index, (name, _h, required, kind) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=index)
        cell.font = Font(bold=True, color="C00000" if required else "000000")
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = 24 if kind in (LIST, CODE) else 16
        if name in choices:
            dv = DataValidation(type="list", formula1='"' + ",".join(choices[name]) + '"')
            dv.add(f"{letter}2:{letter}5001")
            ws.add_data_validation(dv)
        if kind in (CODE, PHONE):
            for row in range(2, 502):
                ws.cell(row=row, column=index).number_format = "@"
    ws.freeze_panes = "A2"
    info = wb.create_sheet("填写说明")
    info.append([_("Column"), _("Required"), _("How to fill it in")])
    for cell in info[1]:
        cell.font = Font(bold=True)
    for name, header, required, _k in COLUMNS:
        info.append([header, _("Yes") if required else _("No"), str(INSTRUCTIONS[name])])
    info.append([])
    info.append(
        [
            _(
                "Row 1 holds the headers; each following row is one enterprise. The import is "
                "all or nothing: if any row has an error, nothing is imported and every error "
                "is listed by row and column. Importing the same file again changes nothing."
            )
        ]
    )
    info.append([_("Labels"), "", "、".join(name for _c, name in _label_names())])
    for letter, width in zip("ABC", (20, 8, 80), strict=True):
        info.column_dimensions[letter].width = width
    for row in info.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _label_names() -> list[tuple[str, str]]:
    return list(Label.objects.values_list("code", "name"))


# --- Products -----------------------------------------------------------------------------

PRODUCT_COLUMNS: list[tuple[str, str, bool, str]] = [
    ("credit_code", "统一社会信用代码", True, CODE),
    ("name", "产品名称", True, TEXT),
    ("category", "产品类别", True, TEXT),
    ("industry", "行业代码", False, TEXT),
    ("specification", "规格型号", False, TEXT),
    ("description", "产品说明", False, TEXT),
    ("shared", "向对口方共享", False, BOOL),
]
PRODUCT_HEADER = {name: header for name, header, _r, _k in PRODUCT_COLUMNS}
PRODUCT_FIELDS = ["category", "industry_id", "specification", "description", "shared"]


def import_products(
    user: User, partnership: Partnership, side: Region, name: str, data: bytes
) -> ImportResult:
    """Products of the side's enterprises (by credit code), all or nothing; a product is
    found by enterprise and name, so re-importing the same file changes nothing."""
    from .models import Product

    if not services.permission(user, "create", partnership=partnership, side=side):
        raise PermissionDenied(_("Only staff of this side import its enterprises."))
    workbook = open_workbook(name, data, max_bytes=max_upload_bytes())
    try:
        ws = None
        for sheet in (workbook[n] for n in workbook.sheetnames):
            first = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
            headers = {header_key(v): i for i, v in enumerate(first) if header_key(v)}
            if PRODUCT_HEADER["name"] in headers:
                ws = sheet
                break
        if ws is None:
            raise ImportRejected(
                _("No sheet has the template's headers in its first row (e.g. “%(header)s”).")
                % {"header": PRODUCT_HEADER["name"]}
            )
        missing = [h for _n, h, required, _k in PRODUCT_COLUMNS if required and h not in headers]
        if missing:
            raise ImportRejected(
                _("The first row lacks the required columns: %(columns)s.")
                % {"columns": "、".join(missing)}
            )
        columns = {n: headers[h] for n, h, _r, _k in PRODUCT_COLUMNS if h in headers}
        raw_rows = list(enumerate(ws.iter_rows(min_row=2, values_only=True), start=2))
    finally:
        workbook.close()

    firms = {
        e.credit_code: e for e in Enterprise.objects.filter(partnership=partnership, side=side)
    }
    classes = dict(IndustryCode.objects.filter(level="class").values_list("code", "pk"))
    errors: list[CellError] = []
    wanted: list[tuple[int, Enterprise, str, dict]] = []
    seen: dict[tuple[str, str], int] = {}
    for number, values in raw_rows:
        cells = {n: values[i] if i < len(values) else None for n, i in columns.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells.values()):
            continue
        if len(wanted) + len(errors) >= MAX_ROWS:
            raise ImportRejected(
                _("An import may hold at most %(count)d rows.") % {"count": MAX_ROWS}
            )

        def err(col: str, message, number=number) -> None:
            errors.append(CellError(number, PRODUCT_HEADER[col], str(message)))

        text = {}
        for col, _h, required, kind in PRODUCT_COLUMNS:
            raw = cells.get(col)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                if required:
                    err(col, _("this cell is required"))
                text[col] = ""
            elif kind in (TEXT, CODE) and _is_number(raw) and col != "industry":
                err(
                    col,
                    _("a number (%(value)s) where text is expected; format the cell as text")
                    % {"value": _text(raw)},
                )
                text[col] = ""
            else:
                text[col] = _text(raw)
        code = text["credit_code"].upper()
        firm = firms.get(code)
        if code and firm is None:
            problem = credit_code_error(code)
            err(
                "credit_code",
                problem
                or _("no enterprise of this side has the credit code %(code)s; import it first")
                % {"code": code},
            )
        industry_id = None
        if text["industry"]:
            industry_id = classes.get(text["industry"].split()[0])
            if industry_id is None:
                err(
                    "industry",
                    _("unknown industry code “%(code)s” (not in GB/T 4754-2017)")
                    % {"code": text["industry"]},
                )
        shared = text["shared"].lower()
        if shared not in YES | NO:
            err("shared", _("write 是 or 否, not “%(value)s”") % {"value": text["shared"]})
        for col, limit in (("name", 200), ("category", 60), ("specification", 200)):
            if len(text[col]) > limit:
                err(
                    col,
                    _("at most %(limit)d characters (this cell has %(n)d)")
                    % {"limit": limit, "n": len(text[col])},
                )
        key = (code, text["name"])
        if text["name"] and code:
            if key in seen:
                err(
                    "name",
                    _("duplicate product “%(name)s” of the same enterprise (also on row %(row)d)")
                    % {"name": text["name"], "row": seen[key]},
                )
            else:
                seen[key] = number
        if firm is not None and not errors:
            wanted.append(
                (
                    number,
                    firm,
                    text["name"],
                    {
                        "category": text["category"],
                        "industry_id": industry_id,
                        "specification": text["specification"],
                        "description": text["description"],
                        "shared": shared in YES,
                    },
                )
            )
    if errors:
        return ImportResult(errors=errors)
    if not wanted:
        raise ImportRejected(_("The file holds no products."))

    result = ImportResult()
    existing = {
        (p.enterprise_id, p.name): p
        for p in Product.objects.filter(enterprise__in=[f for _n, f, _m, _v in wanted])
    }
    new, changed = [], []
    for _number, firm, product_name, values in wanted:
        product = existing.get((firm.pk, product_name))
        if product is None:
            new.append(
                Product(
                    enterprise=firm, partnership=partnership, side=side, name=product_name, **values
                )
            )
        elif any(getattr(product, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(product, k, v)
            product.version += 1
            product.updated_at = timezone.now()
            changed.append(product)
        else:
            result.unchanged += 1
    with transaction.atomic():
        Product.objects.bulk_create(new, batch_size=500)
        Product.objects.bulk_update(
            changed, [*PRODUCT_FIELDS, "version", "updated_at"], batch_size=500
        )
        if new or changed:
            reindex_later(partnership)
    result.created, result.updated = len(new), len(changed)
    return result


def product_template_workbook() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "产品名录"
    ws.append([h for _n, h, _r, _k in PRODUCT_COLUMNS])
    for index, (_n, _h, required, _k) in enumerate(PRODUCT_COLUMNS, start=1):
        ws.cell(row=1, column=index).font = Font(bold=True, color="C00000" if required else None)
        ws.column_dimensions[chr(64 + index)].width = 22
    for row in range(2, 502):
        ws.cell(row=row, column=1).number_format = "@"
    ws.freeze_panes = "A2"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
