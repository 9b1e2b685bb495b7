"""Supply-demand matching: find the suppliers that can deliver what a demand asks for.

Framework-free (no Django import anywhere below this package): the enterprise app wraps it,
the command line (``xietong matching ...``, :mod:`.cli`) runs it standalone.

    from xietong.matching import Engine, Record
    engine = Engine.build([Record(id="1", products=["不锈钢焊管"], region="A"), ...])
    result = engine.search("我司主营锅炉，现需采购焊管", top=10, region="B")
    result.demand.requested, [h.as_dict() for h in result.hits]

Modules: :mod:`.text` (normalisation), :mod:`.lexicon` (cue words), :mod:`.demand` (demand
understanding), :mod:`.engine` (index, ranking, updates, persistence), :mod:`.graph` (optional
product relation graph), :mod:`.records` (input records), :mod:`.store` (a live index on
disk: saved index + journal of changes, shared by processes), :mod:`.cli`.
"""

from .demand import Demand, Mention
from .engine import Engine, Hit, Match, Result
from .graph import Graph
from .records import Record, RecordError
from .store import IndexStore

__all__ = [
    "Demand",
    "Engine",
    "Graph",
    "Hit",
    "IndexStore",
    "Match",
    "Mention",
    "Record",
    "RecordError",
    "Result",
]
