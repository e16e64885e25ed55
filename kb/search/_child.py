"""A large catch-up of the search index, or a full rebuild (``python -m kb.search._child [rebuild]``), in a
process of its own.

A server's background thread hands a backlog of at least ``_index.CHILD_BACKLOG`` records (a bulk import
written behind its back, another server's upload) to this process instead of indexing it itself: in a
thread, the indexing held the interpreter lock the server's searches need, and a nice-d process gives the
processor to the searches first. It reads the knowledge base's settings as JSON on stdin, catches up
round after round while the backlog stays large (an import still writing) and exits: 0 done, 3 the index
needs a full rebuild (the server has it rebuilt), 4 somebody else maintains the index (the next check tries
again), 1 anything else (one line on stderr). With ``rebuild`` it builds a fresh generation and swaps it in
(a damaged or missing index, one of an older schema after an upgrade), for the same reason.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

#: Past this many seconds no new round is started: the server's next check starts a fresh child if need be.
ROUNDS_SECONDS = 600
#: Processes of a full build here (a backlog over a share of the index, a rebuild). This process may fork (it
#: has one thread); they run at its nice 10, so the server's requests still come first. One process took
#: 227–235 s to catch up with a 100,000-product import after it ended.
BUILD_PROCS = 2


def main() -> int:
    try:
        os.nice(10)  # the searches of the server that started it come first
    except OSError:
        pass
    from kb.config import Settings
    from kb.core import KnowledgeBase
    from kb.errors import Conflict
    from kb.search import _index

    kbase = KnowledgeBase(Settings.model_validate_json(sys.stdin.read()))
    root = Path(kbase.settings.index_dir)
    deadline = time.monotonic() + ROUNDS_SECONDS
    try:
        if sys.argv[1:] == ["rebuild"]:
            _index.build(kbase, procs=BUILD_PROCS)
            return 0
        # Round after round while an import keeps writing: one start for the whole import, not one per check.
        # A small remainder is left to the server's thread.
        while True:
            _index.ensure(kbase, full_ok=False, wait=False, procs=BUILD_PROCS)
            if time.monotonic() > deadline or _index._backlog(kbase, root) < _index.CHILD_BACKLOG:
                break
    except _index._NeedsRebuild as exc:
        print(exc, file=sys.stderr)
        return _index.CHILD_NEEDS_REBUILD
    except Conflict as exc:
        print(exc, file=sys.stderr)
        return _index.CHILD_BUSY
    except Exception as exc:  # noqa: BLE001 - one line for the server's log, never a traceback
        print(f"{type(exc).__name__}: {exc}"[:500], file=sys.stderr)
        return 1
    finally:
        kbase.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
