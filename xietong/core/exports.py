"""Excel export shared by every app: sheets of rows, with bold headers and sized columns."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from io import BytesIO

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for title, headers, rows in sheets:
        ws = wb.create_sheet(title=str(title)[:31])
        ws.append([str(h) for h in headers])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        widths = [len(str(h)) * 2 for h in headers]
        for row in rows:
            values = [v if isinstance(v, int | float) else str(v) for v in row]
            ws.append(values)
            for i, v in enumerate(values):
                widths[i] = max(widths[i], min(len(str(v)) + 2, 60))
                if isinstance(v, str) and v.startswith("="):
                    # openpyxl stores "=…" as a formula; a name typed by a user must stay
                    # text, or opening the export would run it.
                    ws.cell(row=ws.max_row, column=i + 1).data_type = "s"
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(width, 8)
        ws.freeze_panes = "A2"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsx_response(filename: str, sheets) -> HttpResponse:
    response = HttpResponse(workbook(sheets), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
