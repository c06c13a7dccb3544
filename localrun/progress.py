"""Progress a person can follow: one bar per stage (parse, generate, render), totals growing as work appears."""

from __future__ import annotations

import sys
import threading
from typing import Any

STAGES = ("parse", "generate", "render")


class Progress:
    """Counts per stage; draws tqdm bars when `show` (on stderr, so stdout keeps the summary)."""

    def __init__(self, show: bool = True):
        self._lock = threading.Lock()
        self.totals = {stage: 0 for stage in STAGES}
        self.done = {stage: 0 for stage in STAGES}
        self._bars: dict[str, Any] = {}
        if show:
            from tqdm import tqdm

            labels = {"parse": "parse briefs    ", "generate": "generate images ", "render": "render variants "}
            for position, stage in enumerate(STAGES):
                self._bars[stage] = tqdm(
                    total=0,
                    desc=labels[stage],
                    position=position,
                    file=sys.stderr,
                    unit=" " + {"parse": "brief", "generate": "image", "render": "product"}[stage],
                    dynamic_ncols=True,
                    leave=True,
                )

    def expect(self, stage: str, count: int = 1) -> None:
        with self._lock:
            self.totals[stage] += count
            bar = self._bars.get(stage)
            if bar is not None:
                bar.total = self.totals[stage]
                bar.refresh()

    def advance(self, stage: str, count: int = 1) -> None:
        with self._lock:
            self.done[stage] += count
            bar = self._bars.get(stage)
            if bar is not None:
                bar.update(count)
                bar.refresh()

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()
