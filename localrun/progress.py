"""Progress a person can follow: one bar per stage (parse, generate, render), totals growing as work appears.

On a terminal, tqdm bars; anywhere else (a log file, CI), plain lines, one per change, with no cursor movement."""

from __future__ import annotations

import sys
import threading
from typing import Any, TextIO

STAGES = ("parse", "generate", "render")
LABELS = {"parse": "parse briefs", "generate": "generate images", "render": "render variants"}
UNITS = {"parse": "brief", "generate": "image", "render": "product"}


class Progress:
    """Counts per stage; shown on `stream` (stderr, so stdout keeps the summary) when `show`."""

    def __init__(self, show: bool = True, stream: TextIO | None = None):
        self._lock = threading.Lock()
        self.totals = {stage: 0 for stage in STAGES}
        self.done = {stage: 0 for stage in STAGES}
        self._bars: dict[str, Any] = {}
        self._stream = stream or sys.stderr
        self._lines = show and not _is_terminal(self._stream)
        if show and not self._lines:
            from tqdm import tqdm

            for position, stage in enumerate(STAGES):
                self._bars[stage] = tqdm(
                    total=0,
                    desc=LABELS[stage].ljust(16),
                    position=position,
                    file=self._stream,
                    unit=" " + UNITS[stage],
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
            elif self._lines and count:
                print(f"{LABELS[stage]}: {self.done[stage]} of {self.totals[stage]}", file=self._stream, flush=True)

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
