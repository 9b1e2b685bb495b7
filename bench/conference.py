"""Conference benchmark: the progress board of a large agreement, and the xlsx task import.

    .venv/bin/python bench/conference.py        (what `make bench-conference` runs)

Builds a throw-away var directory exactly as the browser tests and the web benchmark do
(bench/stack.py: collectstatic, migrate, `xietong demo load` into a private SQLite file),
then runs Django in this process against that database. The product's code is untouched;
the benchmark only adds rows.

(a) Board. Two agreements of 两江新区 ↔ 万州区 are filled with bulk_create: 100 tasks with
    1,000 progress reports, and 1,000 tasks with 10,000 reports (each task with one or two
    units and two milestones). The board of each (conference:board) is rendered through
    the Django test Client signed in as lj_coord: the full middleware stack and template,
    in process, without HTTP or gunicorn. It reports the SQL queries of one render (they
    must be the same at both sizes) and p50/p95 of --renders renders after a warm-up.
    The timeline must hold every task and the table its first rows (100); "show all"
    (conference:board_rows, the htmx request behind the button) must give every row and
    is timed too. "CPU ms" is this process's CPU time per render (time.process_time):
    less sensitive than the wall clock to other work on a shared machine.

(b) Import. A 5,000-row task list workbook in the template's format (Chinese headers) is
    imported into a fresh agreement through xietong.conference.imports.import_file (check,
    parse, apply in one transaction), then the same file is imported again (every row
    unchanged). Rows per second of each.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.stack import Stack
from bench.web import machine

PAIR = ("两江新区", "万州区")
COORDINATOR = "lj_coord"


def setup_django(var_dir: Path) -> None:
    """Prepare the throw-away var dir (as the e2e tests do) and point this process at it."""
    stack = Stack(var_dir, workers=1)
    print("Preparing a throw-away database with the demo data ...", flush=True)
    stack.prepare()
    os.environ.update(stack.env())
    import django

    django.setup()


# --- Data -------------------------------------------------------------------------------


def pair_and_people():
    from xietong.core.models import OrgUnit, Partnership, User

    pair = Partnership.objects.get(developed_side__name=PAIR[0], partner_side__name=PAIR[1])
    units = list(OrgUnit.objects.filter(region__in=pair.region_ids, is_active=True))
    people = list(
        User.objects.filter(
            username__in=["lj_coord", "wz_coord", "lj_staff", "wz_staff", "lj_sector"]
        )
    )
    return pair, units, people


def build_agreement(year: int, n_tasks: int, reports_per_task: int, seed: int = 1):
    """An adopted agreement with ``n_tasks`` tasks and their units, milestones, reports."""
    from xietong.conference.models import (
        AnnualAgreement,
        Area,
        Milestone,
        ProgressReport,
        Task,
        TaskUnit,
    )

    rng = random.Random(seed)
    pair, units, people = pair_and_people()
    agreement = AnnualAgreement.objects.create(
        partnership=pair,
        year=year,
        title=f"{pair} {year} benchmark agreement",
        status=AnnualAgreement.Status.ADOPTED,
    )
    stages = [s for s, _ in Task.Stage.choices]
    tasks = []
    for i in range(1, n_tasks + 1):
        start = date(year, 1, 1) + timedelta(days=rng.randrange(0, 120))
        deadline = start + timedelta(days=rng.randrange(60, 240))
        stage = rng.choice(stages)
        status = {
            Task.Stage.CLOSED: Task.Status.COMPLETED,
            Task.Stage.TERMINATED: Task.Status.TERMINATED,
            Task.Stage.ASSIGNED: Task.Status.NOT_STARTED,
        }.get(stage, rng.choice([Task.Status.IN_PROGRESS, Task.Status.LAGGING]))
        extended = rng.random() < 0.1
        tasks.append(
            Task(
                agreement=agreement,
                code=f"{year}-{i:04d}",
                title=f"对口协同基准任务第{i}项：共建产业园区与项目招引",
                area=rng.choice(Area.values),
                kind=rng.choice(Task.Kind.values),
                responsible=rng.choice(people),
                start_date=start,
                deadline=deadline + timedelta(days=30) if extended else deadline,
                baseline_deadline=deadline,
                stage=stage,
                status=status,
                light=rng.choice(Task.Light.values),
                percent=rng.randrange(0, 101),
            )
        )
    Task.objects.bulk_create(tasks, batch_size=500)
    tasks = list(agreement.tasks.order_by("pk"))
    task_units, milestones, reports = [], [], []
    for t in tasks:
        lead, support = rng.sample(units, 2)
        task_units.append(TaskUnit(task=t, unit=lead, role=TaskUnit.Role.LEAD))
        if rng.random() < 0.5:
            task_units.append(TaskUnit(task=t, unit=support, role=TaskUnit.Role.SUPPORT))
        for k in (1, 2):
            due = t.start_date + (t.deadline - t.start_date) * k / 3
            milestones.append(
                Milestone(
                    task=t,
                    title=f"阶段目标{k}",
                    due_date=due,
                    done_on=due if rng.random() < 0.4 else None,
                )
            )
        for k in range(reports_per_task):
            reports.append(
                ProgressReport(
                    task=t,
                    period=f"{year}-{k % 12 + 1:02d}",
                    narrative="按计划推进，完成阶段性目标，协调解决用地和配套问题。",
                    percent=min(100, 10 * (k + 1)),
                    unit=lead,
                    submitted_by=people[2],
                    status=rng.choice(ProgressReport.Status.values),
                )
            )
    TaskUnit.objects.bulk_create(task_units, batch_size=1000)
    Milestone.objects.bulk_create(milestones, batch_size=1000)
    ProgressReport.objects.bulk_create(reports, batch_size=1000)
    return agreement


# --- (a) The board ----------------------------------------------------------------------


def client_for(username: str):
    from django.test import Client

    from xietong.core.models import User

    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="zh-CN")
    client.force_login(User.objects.get(username=username))
    return client


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class QueryLog:
    """Every SQL statement run while active, with its duration (an execute wrapper, so it
    works with DEBUG off and whatever the request signals do to connection.queries)."""

    def __init__(self):
        self.queries: list[tuple[str, float]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((sql, time.perf_counter() - started))


def measure_board(client, agreement, renders: int, warmup: int = 3) -> dict:
    from django.conf import settings
    from django.db import connection
    from django.urls import reverse

    from xietong.conference.models import ProgressReport
    from xietong.conference.views import board

    url = reverse("conference:board", args=[agreement.pk])
    rows_url = reverse("conference:board_rows", args=[agreement.pk])
    expected = agreement.tasks.count()
    limit = getattr(settings, "CONFERENCE_BOARD_TABLE_ROWS", board.TABLE_ROWS)

    def get(address=url):
        response = client.get(address)
        if response.status_code != 200:
            raise SystemExit(f"{address} answered {response.status_code}")
        return response

    response = get()
    body = response.content.decode()
    gantt_rows = body.count('data-testid="gantt-row"')
    if gantt_rows != expected:
        raise SystemExit(f"the timeline shows {gantt_rows} rows, the agreement has {expected}")
    rows = body.count('data-testid="board-row"')
    if rows != min(expected, limit):
        raise SystemExit(f"the table shows {rows} rows of {expected} (first {limit} expected)")
    all_rows = get(rows_url).content.decode().count('data-testid="board-row"')
    if all_rows != expected:
        raise SystemExit(f"'show all' gives {all_rows} rows, the agreement has {expected}")
    for _ in range(warmup):
        get()
    log = QueryLog()
    with connection.execute_wrapper(log):
        get()
    times, cpu = [], []
    for _ in range(renders):
        started, started_cpu = time.perf_counter(), time.process_time()
        get()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    more_times = []
    for _ in range(max(3, renders // 3)):
        started = time.perf_counter()
        get(rows_url)
        more_times.append(time.perf_counter() - started)
    return {
        "tasks": expected,
        "reports": ProgressReport.objects.filter(task__agreement=agreement).count(),
        "queries": len(log.queries),
        "sql": [sql for sql, _s in log.queries],
        "sql_ms": sum(s for _sql, s in log.queries) * 1000,
        "bytes": len(response.content),
        "table_rows": rows,
        "renders": renders,
        "p50": percentile(times, 50) * 1000,
        "p95": percentile(times, 95) * 1000,
        "mean": statistics.mean(times) * 1000,
        "cpu_p50": percentile(cpu, 50) * 1000,
        "cpu_p95": percentile(cpu, 95) * 1000,
        "all_rows_p50": percentile(more_times, 50) * 1000,
        "all_rows_p95": percentile(more_times, 95) * 1000,
    }


def profile_board(client, agreement, top: int) -> str:
    from django.urls import reverse

    url = reverse("conference:board", args=[agreement.pk])
    profiler = cProfile.Profile()
    profiler.enable()
    client.get(url)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


PARTS = ("board_summary", "board_timeline", "board_table")


def board_split(agreement) -> dict:
    """Where one render's time goes: the view's data (board_context), the whole template,
    and each of the board's partial templates rendered alone with the same context."""
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from xietong.conference.views.board import board_context
    from xietong.core.models import User

    request = RequestFactory().get("/", HTTP_HOST="127.0.0.1")
    request.user = User.objects.get(username=COORDINATOR)
    timings: dict[str, list[float]] = {"context_ms": [], "render_ms": []}
    timings.update({part: [] for part in PARTS})
    for _ in range(5):
        started = time.perf_counter()
        context = board_context(request, agreement)
        middle = time.perf_counter()
        render_to_string("conference/board.html", context, request=request)
        timings["context_ms"].append((middle - started) * 1000)
        timings["render_ms"].append((time.perf_counter() - middle) * 1000)
        for part in PARTS:
            started = time.perf_counter()
            render_to_string(f"conference/{part}.html", context, request=request)
            timings[part].append((time.perf_counter() - started) * 1000)
    return {key: statistics.median(values) for key, values in timings.items()}


# --- (b) The import ---------------------------------------------------------------------


def task_workbook(year: int, rows: int) -> bytes:
    """A task list in the template's format, every row valid for 两江新区 ↔ 万州区."""
    from openpyxl import Workbook

    from xietong.conference.imports import COLUMNS

    _pair, units, people = pair_and_people()
    unit_names = [f"{u.region.name}{u.name}" for u in units]
    rng = random.Random(2)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("任务清单")
    ws.append([header for _name, header, _required in COLUMNS])
    areas = ["产业发展", "城乡互动", "科技协作", "公共服务"]
    kinds = ["项目化", "事项化", "机制化"]
    for i in range(1, rows + 1):
        lead, support = rng.sample(unit_names, 2)
        start = date(year, 1, 1) + timedelta(days=rng.randrange(0, 90))
        deadline = start + timedelta(days=rng.randrange(90, 270))
        values = {
            "code": f"{year}-{i:05d}",
            "title": f"导入基准任务第{i}项：推进产业协作项目落地",
            "content": "明确牵头单位、责任人和完成时限，按月调度。",
            "area": areas[i % 4],
            "kind": kinds[i % 3],
            "lead_units": lead,
            "support_units": support if i % 2 else "",
            "responsible": rng.choice(people).username,
            "working_group": "",
            "start_date": start,
            "deadline": deadline,
            "priority": "普通",
            "cadence": "每月",
            "milestones": f"完成选址：{(start + timedelta(days=45)).isoformat()}",
            "targets": "引进项目：10个",
        }
        ws.append([values[name] for name, _header, _required in COLUMNS])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def measure_import(year: int, rows: int) -> dict:
    from xietong.conference import imports
    from xietong.conference.models import AnnualAgreement
    from xietong.core.models import User

    pair, _units, _people = pair_and_people()
    agreement = AnnualAgreement.objects.create(
        partnership=pair,
        year=year,
        title=f"{pair} {year} import benchmark",
        status=AnnualAgreement.Status.ADOPTED,
    )
    user = User.objects.get(username=COORDINATOR)
    started = time.perf_counter()
    data = task_workbook(year, rows)
    build_s = time.perf_counter() - started
    results = {}
    for label in ("first", "again"):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = imports.import_file(user, agreement, "tasks.xlsx", data)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - started_cpu
        if not result.ok:
            raise SystemExit(f"import failed: {[str(e) for e in result.errors[:5]]}")
        results[label] = {
            "seconds": elapsed,
            "rows_per_s": rows / elapsed,
            "cpu_s": cpu,
            "created": len(result.created),
            "updated": len(result.updated),
            "unchanged": len(result.unchanged),
        }
    if results["first"]["created"] != rows or results["again"]["unchanged"] != rows:
        raise SystemExit(f"unexpected import result: {results}")
    return {"rows": rows, "bytes": len(data), "build_s": build_s, **results}


# --- Report -----------------------------------------------------------------------------


def report(boards: list[dict], imported: dict | None, args, info: dict) -> str:
    lines = [
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['os']}; Python {info['python']}, "
        f"Django {info['django']}, SQLite. Load average before / after: "
        f"{info['load_before']} / {info['load_after']}.",
        "",
        "Progress board (`conference:board`), Django test Client in process, signed in as "
        f"{COORDINATOR}, {args.renders} renders after 3 warm-up renders:",
        "",
        "| tasks | reports | SQL queries | SQL execute ms | view data ms | template ms "
        "| of which summary / timeline / table ms | p50 ms | p95 ms | HTML KiB "
        "| table rows | show all p50 / p95 ms | CPU ms p50 / p95 |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for b in boards:
        parts = " / ".join(f"{b['split'][part]:.0f}" for part in PARTS)
        lines.append(
            f"| {b['tasks']:,} | {b['reports']:,} | {b['queries']} | {b['sql_ms']:.1f} "
            f"| {b['split']['context_ms']:.0f} | {b['split']['render_ms']:.0f} "
            f"| {parts} "
            f"| {b['p50']:.0f} | {b['p95']:.0f} | {b['bytes'] / 1024:.0f} "
            f"| {b['table_rows']:,} | {b['all_rows_p50']:.0f} / {b['all_rows_p95']:.0f} "
            f"| {b['cpu_p50']:.0f} / {b['cpu_p95']:.0f} |"
        )
    same = len({b["queries"] for b in boards}) == 1
    lines += [
        "",
        f"Queries constant across sizes: {'yes' if same else 'NO'} "
        f"({' vs '.join(str(b['queries']) for b in boards)}).",
    ]
    if imported:
        lines += [
            "",
            f"Task import (`imports.import_file`), {imported['rows']:,} rows, "
            f"{imported['bytes'] / 1024:.0f} KiB xlsx (built in {imported['build_s']:.1f} s):",
            "",
            "| run | seconds | rows/s | CPU seconds | created | updated | unchanged |",
            "|---|--:|--:|--:|--:|--:|--:|",
        ]
        for label, name in (("first", "first import"), ("again", "same file again")):
            r = imported[label]
            lines.append(
                f"| {name} | {r['seconds']:.1f} | {r['rows_per_s']:.0f} | {r['cpu_s']:.1f} "
                f"| {r['created']} "
                f"| {r['updated']} | {r['unchanged']} |"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renders", type=int, default=30, help="board renders measured (30)")
    parser.add_argument("--rows", type=int, default=5000, help="rows of the import (5000)")
    parser.add_argument("--skip-import", action="store_true", help="only the board")
    parser.add_argument("--profile", type=int, default=0, help="print the N top functions")
    parser.add_argument("--show-sql", action="store_true", help="print the board's queries")
    args = parser.parse_args()
    if not (1 <= args.renders <= 1000 and 1 <= args.rows <= 10000):
        parser.error("keep --renders in 1..1000 and --rows in 1..10000")

    info = machine()
    info["load_before"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="xietong-bench-conference-") as tmp:
        setup_django(Path(tmp))
        client = client_for(COORDINATOR)
        boards = []
        for year, n_tasks in ((2030, 100), (2031, 1000)):
            started = time.perf_counter()
            agreement = build_agreement(year, n_tasks, reports_per_task=10)
            print(
                f"built {n_tasks} tasks with {10 * n_tasks} reports "
                f"in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
            result = measure_board(client, agreement, args.renders)
            result["split"] = board_split(agreement)
            boards.append(result)
            print(
                f"  board: {result['queries']} queries, p50 {result['p50']:.0f} ms, "
                f"p95 {result['p95']:.0f} ms",
                flush=True,
            )
            if args.show_sql:
                for sql in result["sql"]:
                    print("   ", sql[:200])
        if args.profile:
            print(profile_board(client, agreement, args.profile))
        imported = None
        if not args.skip_import:
            print(f"importing {args.rows} rows twice ...", flush=True)
            imported = measure_import(2032, args.rows)
    info["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print()
    print(report(boards, imported, args, info))
    return 0 if len({b["queries"] for b in boards}) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
