"""Enterprise matching index: what keeping a pair's index fresh costs at 50,000 enterprises.

    .venv/bin/python bench/enterprise_index.py [--enterprises 50000] [--updates 50]

Synthetic records generated here (products along the six chains with varied modifiers, two
sides, GB/T 4754 industry names; not the benchmark corpus of ../shared/bench). In a
temporary XIETONG_VAR_DIR, with the product's settings:

1. build: ``Engine.build`` of all records, then the first save of the index to disk
   through ``suggestions.service`` (what ``rebuild`` does after reading the database);
2. update: ``suggestions.service.update(pair, [record], [])`` — the work of one
   ``tasks.update_index`` job after a record changed (the database read is left out) —
   ``--updates`` times, each on a different enterprise (an edited product list);
3. freshness: a second ``EngineService`` (another process's view, e.g. a gunicorn worker)
   asked for the engine after each update, timed, and checked to find the changed product.

Prints build time, update latency p50/p95/max, the bytes each update handed to write()
(``wchar`` of /proc/self/io: every file written, the index's and the journal's) and the
index's size on disk, and the catch-up time of the other service.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASES = {
    "汽车零部件及配件制造": ["座椅总成", "制动盘", "轮毂", "线束", "车灯", "减震器", "散热器"],
    "新能源车整车制造": ["新能源乘用车", "纯电动客车", "插电混动汽车"],
    "电子电路制造": ["柔性电路板", "刚性电路板", "高密度互连板"],
    "显示器件制造": ["液晶显示模组", "OLED模组", "背光模组"],
    "齿轮及齿轮减、变速箱制造": ["精密减速器", "行星减速机", "变速箱"],
    "液压动力机械及元件制造": ["液压油缸", "液压阀", "液压泵"],
    "化学药品制剂制造": ["注射剂", "片剂", "胶囊"],
    "铝压延加工": ["铝合金型材", "铝板带", "铝箔"],
    "调味品制造": ["火锅底料", "榨菜", "酱油"],
}
MODIFIERS = (
    ",精密,高强度,轻量化,不锈钢,铝合金,智能,新型,大型,微型,耐高温,防腐,节能,高压,低噪声,数控,复合,特种,标准,定制"
).split(",")


def records(n: int, seed: int = 7):
    from xietong.matching import Record

    rng = random.Random(seed)
    industries = list(BASES)
    out = []
    for i in range(n):
        ind = industries[i % len(industries)]
        k = rng.choice([1, 2, 3, 4])
        products = []
        for _ in range(k):
            base = rng.choice(BASES[rng.choice([ind, ind, rng.choice(industries)])])
            name = rng.choice(MODIFIERS) + base + (rng.choice(["", f"{rng.randrange(100)}型"]))
            if name not in products:
                products.append(name)
        out.append(
            Record(
                id=f"enterprise:{i + 1}",
                name=f"测试企业{i + 1}",
                industry=ind,
                products=products,
                capabilities=rng.sample(["冲压", "焊接", "注塑", "机加工", "热处理"], 2),
                region=str(1 + i % 2),
            )
        )
    return out


def wchar() -> int:
    try:
        with open("/proc/self/io") as f:
            for line in f:
                if line.startswith("wchar:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def disk_bytes(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    k = (len(s) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--enterprises", type=int, default=50_000)
    p.add_argument("--updates", type=int, default=50)
    args = p.parse_args()

    tmp = tempfile.mkdtemp(prefix="xietong-bench-index-")
    os.environ["XIETONG_VAR_DIR"] = tmp
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xietong.settings")
    import django

    django.setup()
    from xietong.enterprise.suggestions import EngineService, service
    from xietong.matching import Engine

    pair = SimpleNamespace(pk=1, programme_id=1)
    recs = records(args.enterprises)
    t0 = time.perf_counter()
    engine = Engine.build(recs)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    service.install(pair, engine)
    t_save = time.perf_counter() - t0
    directory = service.directory(pair)
    size = disk_bytes(directory)
    print(f"enterprises            {args.enterprises:,}")
    print(f"build (Engine.build)   {t_build:.2f} s")
    print(f"first save to disk     {t_save:.2f} s, index {size / 1e6:.1f} MB on disk")

    other = EngineService()
    other.engine(pair)  # the other process has loaded the index before the updates
    rng = random.Random(11)
    lat, written, catch = [], [], []
    for u in range(args.updates):
        r = recs[rng.randrange(len(recs))]
        fresh = f"基准更新产品{u}号"
        changed = type(r)(
            id=r.id, name=r.name, industry=r.industry, products=[fresh, *r.products],
            capabilities=r.capabilities, region=r.region,
        )  # fmt: skip
        w0 = wchar()
        t0 = time.perf_counter()
        service.update(pair, [changed], [])
        lat.append((time.perf_counter() - t0) * 1000)
        written.append(wchar() - w0)
        t0 = time.perf_counter()
        seen = other.engine(pair)
        catch.append((time.perf_counter() - t0) * 1000)
        hits = seen.search(f"需采购{fresh}", top=3, region_mode=None).hits
        if not hits or hits[0].id != r.id:
            sys.exit(f"update {u}: the other service does not see {fresh} on {r.id}")
    print(f"updates                {args.updates} (each checked fresh in a second service)")
    print(
        f"update latency         p50 {pct(lat, 0.5):.1f} ms, p95 {pct(lat, 0.95):.1f} ms,"
        f" max {max(lat):.1f} ms"
    )
    print(
        f"bytes written/update   median {statistics.median(written) / 1e3:,.1f} kB,"
        f" max {max(written) / 1e3:,.1f} kB, total {sum(written) / 1e6:.1f} MB"
    )
    print(
        f"other service catch-up p50 {pct(catch, 0.5):.1f} ms, p95 {pct(catch, 0.95):.1f} ms,"
        f" max {max(catch):.1f} ms"
    )
    print(f"index on disk after    {disk_bytes(directory) / 1e6:.1f} MB")

    # The journal is folded into a full save every `compact_every` lines: time one.
    store = service.store(pair)
    every = store._compact_at(store.engine())
    store.compact_every = store.journal_lines + 1
    r = recs[0]
    w0, t0 = wchar(), time.perf_counter()
    service.update(pair, [r], [])
    t_compact = time.perf_counter() - t0
    w_compact = wchar() - w0
    t0 = time.perf_counter()
    other.engine(pair)
    t_reload = time.perf_counter() - t0
    print(
        f"compaction             {t_compact * 1000:.0f} ms, {w_compact / 1e6:.1f} MB written,"
        f" once every {every} updates (+{w_compact / every / 1e3:.1f} kB"
        f" and {t_compact * 1000 / every:.1f} ms per update amortised)"
    )
    print(f"other service reload   {t_reload * 1000:.0f} ms after a compaction")
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
