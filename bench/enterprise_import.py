"""Enterprise import benchmark: 50,000 rows, against openpyxl's read-only mode alone.

    .venv/bin/python bench/enterprise_import.py [--rows 50000] [--keep]

1. Generates a workbook of --rows enterprise rows in the import template's format (valid
   credit codes, GB/T 4754 codes, products with shares, a contact) into var/bench/
   (reused when it already exists with the same row count), in a child process so that
   generating does not count toward the import's memory.
2. Builds a throw-away SQLite database (migrations only, plus one pair and one staff
   user of its partner side) in a temporary XIETONG_VAR_DIR.
3. Times ``xietong.enterprise.imports.import_file`` (check, parse, apply in one
   transaction) on the file, then again on the same file (every row unchanged).
4. Times openpyxl alone reading every cell of the file in read-only mode.

Prints wall-clock and CPU time (``time.process_time``: this process only; SQLite runs in
it) of each step, rows/s, the process's peak resident memory after the first import
(ru_maxrss, includes Django and the interpreter), and the ratio import / openpyxl read —
the figure the issue asks for. On a shared, loaded machine the wall-clock ratio swings
with the load; the CPU-time ratio is the stable one.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CODES = ["3670", "3660", "3630", "3982", "3971", "3562", "2720", "2761", "1391", "1371", "3311"]
PRODUCTS = ["汽车座椅", "线束", "液晶模组", "减速器", "注射剂", "铝合金型材", "榨菜", "柑橘罐头"]


def generate(path: Path, rows: int) -> None:
    """Write the workbook in write-only mode (runs in a child process)."""
    from openpyxl import Workbook
    from stdnum.cn import uscc

    from xietong.enterprise.imports import COLUMNS

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("企业名录")
    ws.append([h for _n, h, _r, _k in COLUMNS])
    for n in range(1, rows + 1):
        base = f"91500101{n:09d}"
        code = base + uscc.calc_check_digit(base)
        p1, p2 = PRODUCTS[n % len(PRODUCTS)], PRODUCTS[(n * 7 + 3) % len(PRODUCTS)]
        values = {
            "credit_code": code,
            "name": f"重庆市万州区测试制造有限公司{n}",
            "district": "万州区",
            "industries": f"{CODES[n % len(CODES)]}、{CODES[(n * 3) % len(CODES)]}",
            "size_class": "规上" if n % 3 == 0 else "规下",
            "labels": "专精特新" if n % 10 == 0 else "",
            "revenue": round(500 + (n * 37) % 90000 + 0.25, 2),
            "output_value": round(600 + (n * 41) % 95000 + 0.5, 2),
            "employees": 20 + n % 2000,
            "address": f"重庆市万州区经开区高峰园{n % 300}号",
            "main_products": f"{p1}：60%、{p2}：30%",
            "processes": "冲压、焊接、注塑",
            "equipment": "五轴加工中心、自动焊接机器人",
            "certifications": "ISO 9001",
            "contact_name": "张经理",
            "contact_position": "销售总监",
            "contact_phone": f"138{n:08d}",
            "contact_email": f"sales{n}@example.cn",
            "shared": "是" if n % 2 else "否",
            "description": "",
        }
        ws.append([values[name] for name, _h, _r, _k in COLUMNS])
    wb.save(path)


def setup_django(var_dir: Path) -> None:
    os.environ["XIETONG_VAR_DIR"] = str(var_dir)
    os.environ.pop("XIETONG_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xietong.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()

    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"enterprise-import-{args.rows}.xlsx"
    if not path.exists():
        print(f"Generating {args.rows:,} rows into {path} ...", flush=True)
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--generate", str(path), str(args.rows)],
            check=True,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "xietong.settings"},
        )
        print(f"  generated in {time.perf_counter() - t:.1f} s", flush=True)
    data = path.read_bytes()
    print(f"File: {path} ({len(data) / 1024**2:.1f} MB)", flush=True)

    with tempfile.TemporaryDirectory(prefix="xietong-bench-") as tmp:
        setup_django(Path(tmp))
        from datetime import date

        from django.test.utils import override_settings

        from xietong.core.models import (
            Membership,
            OrgUnit,
            Partnership,
            Programme,
            Region,
            Role,
            User,
        )
        from xietong.enterprise import imports
        from xietong.enterprise.models import Enterprise

        programme = Programme.objects.create(name="一区两群对口协同", code="bench")
        lj = Region.objects.create(name="两江新区", kind="functional_area", division_code="500157")
        wz = Region.objects.create(name="万州区", kind="district", division_code="500101")
        pair = Partnership.objects.create(
            programme=programme, developed_side=lj, partner_side=wz, start_date=date(2021, 1, 12)
        )
        unit = OrgUnit.objects.create(region=wz, name="经济信息委")
        user = User.objects.create(username="bench_staff")
        Membership.objects.create(user=user, role=Role.DEPARTMENT_STAFF, org_unit=unit)

        with override_settings(ENTERPRISE_IMPORT_MAX_MB=200):
            t, c = time.perf_counter(), time.process_time()
            first = imports.import_file(user, pair, wz, path.name, data)
            first_s, first_c = time.perf_counter() - t, time.process_time() - c
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            assert first.ok, first.errors[:5]
            t, c = time.perf_counter(), time.process_time()
            again = imports.import_file(user, pair, wz, path.name, data)
            again_s, again_c = time.perf_counter() - t, time.process_time() - c
        assert again.unchanged == args.rows and again.created == again.updated == 0
        assert Enterprise.objects.count() == args.rows

    from openpyxl import load_workbook

    t, c = time.perf_counter(), time.process_time()
    wb = load_workbook(path, read_only=True, data_only=True)
    cells = 0
    for values in wb.worksheets[0].iter_rows(values_only=True):
        cells += len(values)
    wb.close()
    read_s, read_c = time.perf_counter() - t, time.process_time() - c

    rows = args.rows
    print()
    print(f"{'step':32} {'wall s':>8} {'CPU s':>8} {'rows/s (CPU)':>13}")
    for label, wall, cpu in [
        ("openpyxl read-only, every cell", read_s, read_c),
        (f"import, {first.created:,} new rows", first_s, first_c),
        (f"import again, {again.unchanged:,} unchanged", again_s, again_c),
    ]:
        print(f"{label:32} {wall:8.2f} {cpu:8.2f} {rows / cpu:13,.0f}")
    print(f"peak resident memory: {peak_mb:.0f} MB (process, after the first import)")
    print(
        f"ratio import / openpyxl read: CPU {first_c / read_c:.2f} (again {again_c / read_c:.2f})"
        f", wall {first_s / read_s:.2f} (again {again_s / read_s:.2f})"
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--generate":
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xietong.settings")
        django.setup()
        generate(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
