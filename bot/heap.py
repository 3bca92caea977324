"""The collector and a long-running process: what start-up built is never garbage.

`settle_heap()` runs once a process has started (the web server once its app is up, the
worker once its dependencies are built). It collects what start-up left behind, then
freezes every object still alive (modules, the provider SDKs, templates, SQLAlchemy and
pydantic models: most of the heap) into the permanent generation, which the collector never
walks again.

Without it each full collection walked that whole heap with the event loop stopped:
200-250 ms, a dozen times in 16 s of webhook load, because requests in flight survive the
young collections and fill the old generation's pending count fast. Those pauses were the
intake's p99 (`bench/webhooks.py`) and, in the worker, the queue's claim latency.
"""

from __future__ import annotations

import gc


def settle_heap() -> None:
    gc.collect()  # start-up's garbage goes now, rather than into the frozen heap for good
    gc.freeze()
