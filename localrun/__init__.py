"""The local run: the whole pipeline on one machine against moto's server, driving the real handlers.

`python -m localrun` (or `make local`). Modules: emulator (AWS on 127.0.0.1, resources as the dev stack),
functions (the handlers, loaded as Lambda would), event_source (the SQS -> parser event source mapping),
async_invoke (Lambda's asynchronous invocations, in-process), outputs (download + gallery), run (the
whole run), cli (options, progress, summary).
"""

import sys as _sys
from pathlib import Path as _Path

# The handlers import their packages absolutely (`from shared.manifest import ...`), as in the images.
_HANDLERS = str(_Path(__file__).resolve().parent.parent / "handlers")
if _HANDLERS not in _sys.path:
    _sys.path.insert(0, _HANDLERS)
