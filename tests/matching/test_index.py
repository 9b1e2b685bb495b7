"""Persistence round-trips, incremental updates, thread safety, the CLI, no Django below."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from xietong.matching import Engine, Record, RecordError
from xietong.matching.cli import main as cli_main

from .conftest import records

DEMANDS = [
    "我司主营锂电池，现需采购正极材料",
    "求购焊管",
    "我们是做涂料的，需要丙烯酸",
    "求购视频设备",
    "求购光伏设备",
]


def snapshot_of(engine, region=None):
    out = []
    for text in DEMANDS:
        r = engine.search(text, top=20, region=region)
        out.append([(h.id, h.tier, round(h.score, 4), h.match.as_dict()) for h in r.hits])
    return out


def test_round_trip(tmp_path, engine):
    engine.save(str(tmp_path / "idx"))
    files = sorted(os.listdir(tmp_path / "idx"))
    assert "meta.json" in files and not any(f.endswith((".pkl", ".pickle")) for f in files)
    loaded = Engine.load(str(tmp_path / "idx"))
    assert len(loaded) == len(engine)
    assert snapshot_of(loaded, "A") == snapshot_of(engine, "A")


def test_save_overwrites_atomically(tmp_path, fresh_engine):
    path = str(tmp_path / "idx")
    fresh_engine.save(path)
    fresh_engine.remove("E05")
    fresh_engine.save(path)
    assert "E05" not in [h.id for h in Engine.load(path).search("求购正极材料").hits]
    assert sorted(os.listdir(tmp_path)) == ["idx"]  # no temporary directories left


def test_load_rejects_other_directories(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a matching index"):
        Engine.load(str(tmp_path))


def test_removed_record_never_returned(fresh_engine):
    assert fresh_engine.remove("E05") is True
    assert fresh_engine.remove("E05") is False
    for text in ("求购正极材料", "我司主营锂电池，现需采购正极材料", "求购三元前驱体"):
        assert "E05" not in [h.id for h in fresh_engine.search(text, top=100).hits]


def test_changed_record_found_by_new_products(fresh_engine, tmp_path):
    fresh_engine.add(Record(id="E11", products=["正极材料"], region="A"))
    hits = fresh_engine.search("求购正极材料", top=10, region_mode=None).hits
    assert "E11" in [h.id for h in hits if h.tier == "exact"]
    assert "E11" not in [h.id for h in fresh_engine.search("求购涂料", top=10).hits]
    # new names enter the vocabulary, kind-of included, and survive save/load
    fresh_engine.add(Record(id="N1", products=["钠离子电池正极材料"], region="B"))
    r = fresh_engine.search("求购钠离子电池正极材料", top=5)
    assert [h.id for h in r.hits][:1] == ["N1"] and r.hits[0].tier == "exact"
    kinds = [h.id for h in fresh_engine.search("求购正极材料", top=10).hits if h.tier == "kind_of"]
    assert "N1" in kinds
    fresh_engine.save(str(tmp_path / "idx"))
    loaded = Engine.load(str(tmp_path / "idx"))
    assert snapshot_of(loaded) == snapshot_of(fresh_engine)
    assert len(loaded) == len(records()) + 1


def test_updates_on_a_loaded_index(tmp_path, engine):
    engine.save(str(tmp_path / "idx"))
    e = Engine.load(str(tmp_path / "idx"))
    e.remove("E01")
    e.add(Record(id="E99", products=["焊管"], region="B"))
    got = [h.id for h in e.search("求购焊管", top=10, region_mode=None).hits]
    assert "E01" not in got and "E99" in got


def test_concurrent_reads_during_writes(fresh_engine):
    errors: list[BaseException] = []
    stop = threading.Event()
    removed = threading.Event()

    def reader():
        try:
            while not stop.is_set():
                was_removed = removed.is_set()
                got = [h.id for h in fresh_engine.search("求购焊管", top=50).hits]
                assert "E23" in got  # never touched by the writer
                if was_removed:
                    assert "E01" not in got
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(60):
        fresh_engine.add(Record(id=f"T{i}", products=[f"特种焊管{i}", "焊管"], region="AB"[i % 2]))
        if i % 3 == 0:
            fresh_engine.remove(f"T{i}")
    fresh_engine.remove("E01")
    removed.set()
    for i in range(20):
        fresh_engine.add(Record(id=f"U{i}", products=["焊管"]))
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    got = [h.id for h in fresh_engine.search("求购焊管", top=200).hits]
    assert "E01" not in got and "T0" not in got and "T1" in got and "U19" in got


def write_jsonl(path: Path, rows) -> str:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return str(path)


def corpus_rows():
    return [
        {"id": r.id, "text": "", "products": r.products, "industry": r.industry, "region": r.region}
        for r in records()
    ]


def test_cli_rank_contract(tmp_path, capsys):
    corpus = write_jsonl(tmp_path / "c.jsonl", corpus_rows())
    queries = write_jsonl(
        tmp_path / "q.jsonl",
        [
            {"qid": "q1", "text": "我司主营锂电池，现需采购正极材料", "region": "A"},
            {"qid": "q2", "text": "求购焊管"},
        ],
    )
    out = tmp_path / "run.trec"
    rc = cli_main(
        ["rank", "--corpus", corpus, "--queries", queries, "--top", "2", "--out", str(out)]
    )
    assert rc == 0
    lines = [ln.split() for ln in out.read_text("utf-8").splitlines()]
    assert [ln[:4] for ln in lines] == [
        ["q1", "Q0", "E05", "1"],
        ["q1", "Q0", "E07", "2"],
        ["q2", "Q0", "E23", "1"],
        ["q2", "Q0", "E01", "2"],
    ]
    assert all(len(ln) == 6 and float(ln[4]) > 0 for ln in lines)
    assert float(lines[0][4]) >= float(lines[1][4])
    stats = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert stats["docs"] == len(records())
    for key in ("index_s", "query_ms_p50", "query_ms_p95", "peak_rss_mb"):
        assert stats[key] >= 0


def test_cli_build_and_query(tmp_path, capsys):
    corpus = write_jsonl(tmp_path / "c.jsonl", corpus_rows())
    assert cli_main(["build", "--corpus", corpus, "--index", str(tmp_path / "idx")]) == 0
    capsys.readouterr()
    assert cli_main(["query", "--index", str(tmp_path / "idx"), "--json", "求购焊管"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["demand"]["requested"] == ["焊管"]
    assert [h["id"] for h in res["hits"][:3]] == ["E23", "E01", "E02"] or [
        h["id"] for h in res["hits"][:3]
    ] == ["E01", "E23", "E02"]


def test_cli_bad_input_says_where(tmp_path, capsys):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"id": "1", "text": "x"}\n{"text": "no id"}\n', "utf-8")
    queries = write_jsonl(tmp_path / "q.jsonl", [{"qid": "q1", "text": "求购焊管"}])
    rc = cli_main(["rank", "--corpus", str(corpus), "--queries", queries, "--out", "/dev/null"])
    assert rc == 2
    assert f"{corpus}:2: missing 'id'" in capsys.readouterr().err
    bad_q = tmp_path / "bad.jsonl"
    bad_q.write_text("{not json\n", "utf-8")
    rc = cli_main(["rank", "--corpus", str(corpus), "--queries", str(bad_q), "--out", "/dev/null"])
    assert rc == 2


def test_record_validation():
    with pytest.raises(RecordError, match="missing 'id'"):
        Record.from_dict({"text": "x"}, where="row 3")
    with pytest.raises(RecordError, match="must be a list"):
        Record.from_dict({"id": "1", "products": "焊管"})


def test_matching_package_is_framework_free(tmp_path):
    pkg = Path(__file__).resolve().parents[2] / "xietong" / "matching"
    imports = re.compile(r"^\s*(from|import)\s+(django|rest_framework|xietong\.(?!matching))", re.M)
    for f in pkg.glob("*.py"):
        assert not imports.search(f.read_text("utf-8")), f
    corpus = write_jsonl(tmp_path / "c.jsonl", corpus_rows())
    queries = write_jsonl(tmp_path / "q.jsonl", [{"qid": "q1", "text": "求购焊管"}])
    code = (
        f"import sys; sys.argv = ['xietong', 'matching', 'rank', '--corpus', {corpus!r},"
        f" '--queries', {queries!r}, '--out', '/dev/null']\n"
        "from xietong.__main__ import main\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stderr.strip().splitlines()[-1])["docs"] == len(records())
