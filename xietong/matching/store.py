"""A live index on disk: the saved index plus a journal of the changes since, shared by every
process that reads the directory.

Saving a whole index after each change rewrites every array (6 MB and ~0.8 s for 50,000
enterprises, ``bench/enterprise_index.py``). Instead, :meth:`IndexStore.update` appends one
JSON line (the changed records, the removed ids) to ``journal.jsonl`` in the index
directory and applies it to the engine in memory; another process sees the journal grow
and replays only the lines it has not applied yet. When the journal passes
``compact_every`` lines, the writer saves the whole index (:meth:`Engine.save`, an atomic
swap of the directory, which leaves an empty journal) — one full write per that many
changes.

Consistency:
    * writers (of any process) take an exclusive ``flock`` on ``<directory>.lock`` and
      first catch up with the journal, so every process applies the same lines in the
      same order on top of the same saved index;
    * a reader applies only complete lines (a writer may be half-way through one);
    * a full save swaps the directory: ``meta.json`` is then a new file (another inode and
      time stamp), which tells readers to load the saved index again instead of replaying.

The journal is a cache like the index: it is not fsynced, and the application can always
rebuild the index from its own records.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

from .engine import Engine
from .records import Record

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from .graph import Graph

JOURNAL = "journal.jsonl"
META = "meta.json"


def record_to_json(r: Record) -> dict:
    """What the index keeps of a record (the text and the name are not indexed)."""
    return {
        "id": r.id,
        "industry": r.industry,
        "products": list(r.products),
        "capabilities": list(r.capabilities),
        "region": r.region,
    }


def record_from_json(d: dict) -> Record:
    return Record(
        id=str(d["id"]),
        industry=d.get("industry") or "",
        products=list(d.get("products") or ()),
        capabilities=list(d.get("capabilities") or ()),
        region=d.get("region") or "",
    )


def apply_lines(engine: Engine, lines: Iterable[bytes]) -> int:
    """Apply journal lines to ``engine`` in order; consecutive additions go in one batch."""
    batch: list[Record] = []
    n = 0
    for raw in lines:
        entry = json.loads(raw)
        n += 1
        if entry.get("remove"):
            if batch:
                engine.add_many(batch)
                batch = []
            for rid in entry["remove"]:
                engine.remove(rid)
        batch.extend(record_from_json(d) for d in entry.get("add") or ())
    if batch:
        engine.add_many(batch)
    return n


class IndexStore:
    """One live index directory. Thread-safe; several processes may share the directory."""

    def __init__(
        self, directory: str, graph: Graph | None = None, compact_every: int | None = None
    ) -> None:
        self.directory = os.path.abspath(directory)
        self.graph = graph
        self.compact_every = compact_every
        self._engine: Engine | None = None
        self._stamp: tuple[int, int] | None = None  # meta.json (inode, mtime) of the loaded save
        self._offset = 0  # bytes of the journal applied to the engine
        self._lines = 0  # lines of the journal applied
        self._lock = threading.RLock()

    # ---- reading
    def exists(self) -> bool:
        return self._meta_stamp() is not None

    def engine(self) -> Engine:
        """The engine with every change saved or journalled so far (by any process)."""
        with self._lock:
            self._catch_up()
            assert self._engine is not None
            return self._engine

    @property
    def journal_lines(self) -> int:
        return self._lines

    def _meta_stamp(self) -> tuple[int, int] | None:
        try:
            st = os.stat(os.path.join(self.directory, META))
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns)

    def _catch_up(self) -> None:
        for _attempt in range(5):
            stamp = self._meta_stamp()
            if stamp is None:
                raise FileNotFoundError(f"{self.directory}: no saved index")
            if stamp != self._stamp or self._engine is None:
                engine = Engine.load(self.directory, self.graph)
                self._engine, self._stamp, self._offset, self._lines = engine, stamp, 0, 0
            self._replay()
            if self._meta_stamp() == stamp:  # no full save swapped the directory meanwhile
                return
        raise RuntimeError(f"{self.directory}: the index keeps changing under the reader")

    def _replay(self) -> None:
        path = os.path.join(self.directory, JOURNAL)
        try:
            size = os.path.getsize(path)
        except FileNotFoundError:
            return
        if size <= self._offset:
            return
        with open(path, "rb") as f:
            f.seek(self._offset)
            chunk = f.read(size - self._offset)
        end = chunk.rfind(b"\n") + 1  # only complete lines
        if not end:
            return
        self._lines += apply_lines(self._engine, chunk[:end].splitlines())
        self._offset += end

    # ---- writing
    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        parent = os.path.dirname(self.directory)
        os.makedirs(parent, exist_ok=True)
        with self._lock, open(self.directory + ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def replace(self, engine: Engine) -> None:
        """Save ``engine`` as the whole index (a rebuild); the journal starts empty."""
        with self._exclusive():
            engine.save(self.directory)
            self._engine, self._stamp = engine, self._meta_stamp()
            self._offset = self._lines = 0

    def update(self, add: Iterable[Record] = (), remove: Iterable[str] = ()) -> Engine:
        """Remove ``remove`` (ids), then add or replace ``add``: one journal line, applied
        in memory; a full save instead when the journal has grown past ``compact_every``."""
        add = list(add)
        remove = [str(r) for r in remove]
        with self._exclusive():
            self._catch_up()
            engine = self._engine
            assert engine is not None
            if not add and not remove:
                return engine
            entry = {"remove": remove, "add": [record_to_json(r) for r in add]}
            line = (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
            path = os.path.join(self.directory, JOURNAL)
            with open(path, "ab") as f:
                f.write(line)
            self._offset += len(line)
            self._lines += apply_lines(engine, [line])
            if self._lines >= self._compact_at(engine):
                engine.save(self.directory)
                # Load the compact index at the next read, which also drops the in-memory
                # delta that the journalled changes built up.
                self._engine, self._stamp = None, None
                self._offset = self._lines = 0
            return engine

    def _compact_at(self, engine: Engine) -> int:
        if self.compact_every is not None:
            return self.compact_every
        return max(256, engine.snapshot.base.n_docs // 50)

    def forget(self) -> None:
        """Drop the engine held in memory (the next read loads it again)."""
        with self._lock:
            self._engine, self._stamp = None, None
            self._offset = self._lines = 0
