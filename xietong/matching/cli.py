"""``xietong matching ...``: the framework-free command line of the matching engine.

    xietong matching rank  --corpus C.jsonl --queries Q.jsonl --top 100 --out RUN.trec
    xietong matching build --corpus C.jsonl --index DIR
    xietong matching query --index DIR [--region A] [--top 10] [--json] "求购焊管"

``rank`` follows the benchmark contract (../shared/bench/matching/README.md): one TREC line
per hit (``qid Q0 docid rank score tag``) and, as the last line on stderr, a JSON object with
``docs``, ``index_s``, ``query_ms_p50``, ``query_ms_p95`` and ``peak_rss_mb``. ``index_s``
counts building the index (and the jieba dictionary) after the corpus is read.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from .records import Record, RecordError, read_jsonl, read_records


def _peak_rss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    k = (len(s) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def _load_records(path: str) -> list[Record]:
    interned: dict[str, str] = {}
    out = []
    for r in read_records(path):
        r.text = ""  # the engine indexes fields, not the free text; keep memory small
        r.products = [interned.setdefault(p, p) for p in r.products]
        r.industry = interned.setdefault(r.industry, r.industry)
        r.region = interned.setdefault(r.region, r.region)
        out.append(r)
    return out


def _graph(path: str | None):
    if not path:
        return None
    from .graph import Graph

    return Graph.from_jsonl(path)


def cmd_rank(a: argparse.Namespace) -> int:
    from .engine import Engine

    records = _load_records(a.corpus)
    queries = []
    for lineno, q in read_jsonl(a.queries, "query"):
        if not isinstance(q, dict) or "qid" not in q or "text" not in q:
            raise RecordError(f"{a.queries}:{lineno}: a query needs 'qid' and 'text'")
        queries.append(q)
    graph = _graph(a.graph)
    t0 = time.perf_counter()
    engine = Engine.build(records, graph=graph)
    index_s = time.perf_counter() - t0
    n_docs = len(records)
    del records
    lat = []
    mode = None if a.region_mode == "none" else a.region_mode
    with open(a.out, "w", encoding="utf-8") as out:
        for q in queries:
            t = time.perf_counter()
            res = engine.search(str(q["text"]), top=a.top, region=q.get("region"), region_mode=mode)
            lat.append((time.perf_counter() - t) * 1000.0)
            qid = str(q["qid"])
            for rank, h in enumerate(res.hits, 1):
                out.write(f"{qid} Q0 {h.id} {rank} {h.score:.6f} xietong-{h.tier}\n")
    stats = {
        "docs": n_docs,
        "index_s": round(index_s, 2),
        "query_ms_p50": round(_percentile(lat, 0.5), 3),
        "query_ms_p95": round(_percentile(lat, 0.95), 3),
        "peak_rss_mb": _peak_rss_mb(),
        "queries": len(queries),
        "names": len(engine.snapshot.vocab),
    }
    print(json.dumps(stats), file=sys.stderr)
    return 0


def cmd_build(a: argparse.Namespace) -> int:
    from .engine import Engine

    records = _load_records(a.corpus)
    t0 = time.perf_counter()
    engine = Engine.build(records)
    build_s = time.perf_counter() - t0
    engine.save(a.index)
    stats = {
        "docs": len(records),
        "names": len(engine.snapshot.vocab),
        "index_s": round(build_s, 2),
        "total_s": round(time.perf_counter() - t0, 2),
        "peak_rss_mb": _peak_rss_mb(),
    }
    print(json.dumps(stats), file=sys.stderr)
    return 0


def cmd_query(a: argparse.Namespace) -> int:
    from .store import IndexStore

    # The saved index plus the journal of changes since, if any (a live index of the app).
    engine = IndexStore(a.index, graph=_graph(a.graph)).engine()
    mode = None if a.region_mode == "none" else a.region_mode
    res = engine.search(a.text, top=a.top, region=a.region, region_mode=mode)
    if a.json:
        print(json.dumps(res.as_dict(), ensure_ascii=False, indent=1))
        return 0
    d = res.demand
    print(f"requested: {'、'.join(m.text for m in d.requested) or '-'}")
    print(f"own:       {'、'.join(m.text for m in d.own) or '-'}")
    for i, h in enumerate(res.hits, 1):
        m = h.match
        side = "*" if h.preferred else " "
        print(
            f"{i:3d}{side} {h.id:12s} {h.score:7.3f} {h.tier:8s} "
            f"{m.product} (#{m.product_rank} {m.field}) ~ {m.term}"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="xietong matching", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    r = sub.add_parser("rank", help="rank a query file against a corpus (benchmark contract)")
    r.add_argument("--corpus", required=True)
    r.add_argument("--queries", required=True)
    r.add_argument("--top", type=int, default=100)
    r.add_argument("--out", required=True)
    r.add_argument("--graph", help="product relation graph (JSON Lines)")
    r.add_argument("--region-mode", choices=["prefer", "only", "none"], default="prefer")
    r.set_defaults(func=cmd_rank)

    b = sub.add_parser("build", help="build an index directory from a corpus")
    b.add_argument("--corpus", required=True)
    b.add_argument("--index", required=True)
    b.set_defaults(func=cmd_build)

    q = sub.add_parser("query", help="answer one demand from an index directory")
    q.add_argument("--index", required=True)
    q.add_argument("--top", type=int, default=10)
    q.add_argument("--region", help="the buyer's region")
    q.add_argument("--region-mode", choices=["prefer", "only", "none"], default="prefer")
    q.add_argument("--graph", help="product relation graph (JSON Lines)")
    q.add_argument("--json", action="store_true", help="print the full result as JSON")
    q.add_argument("text")
    q.set_defaults(func=cmd_query)
    return p


def main(argv: list[str] | None = None) -> int:
    a = build_parser().parse_args(argv)
    if getattr(a, "top", 1) <= 0:
        print("error: --top must be positive", file=sys.stderr)
        return 2
    try:
        return a.func(a)
    except (RecordError, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
