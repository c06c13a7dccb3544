"""JPEG encoding by rows of blocks, so a further locale re-encodes only the rows its text and logo touch.

Every variant is encoded with a restart marker after each row of MCUs (16 pixel rows at 4:2:0): each such row
is then entropy-coded on its own (the DC prediction restarts), and its bytes depend only on its own pixels and
the tables. A locale after the first draws its text on the shared canvas, encodes just the rows it touched, and
splices them between the canvas's own encoded rows: the very bytes a whole encode would give
(tests/unit/test_variants_jpeg_rows.py), for the share of the encoding the text covers. Restart markers are part
of baseline JPEG (ITU T.81 §B.2.1) and cost 2 bytes a row.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from PIL import Image

QUALITY = 86
SUBSAMPLING = "4:2:0"
ROW = 16  # pixel rows per MCU row at 4:2:0 (2× vertical chroma subsampling of 8-pixel blocks)
_SOS, _EOI = b"\xff\xda", b"\xff\xd9"
_SOF_MARKERS = {0xC0, 0xC1, 0xC2}
_RESTART = re.compile(b"\xff[\xd0-\xd7]")


def encode(image: Image.Image) -> bytes:
    """The image as a variant JPEG: quality QUALITY, 4:2:0, a restart marker after every MCU row."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=QUALITY, subsampling=SUBSAMPLING, restart_marker_rows=1)
    return buffer.getvalue()


@dataclass(frozen=True)
class Rows:
    """An encoded JPEG taken apart: its headers (up to the scan's data) and each MCU row's entropy-coded bytes."""

    tables: bytes  # every header segment but the frame header (SOF), which carries the height
    header: bytes  # everything before the first row's data
    rows: list[bytes]

    @classmethod
    def of(cls, jpeg: bytes) -> Rows:
        position, tables = 2, bytearray()
        while True:  # header segments: marker, 2-byte length (which counts itself), payload
            marker, length = jpeg[position : position + 2], int.from_bytes(jpeg[position + 2 : position + 4])
            end = position + 2 + length
            if marker[1] not in _SOF_MARKERS:
                tables += jpeg[position:end]
            position = end
            if marker == _SOS:
                break
        # A 0xFF byte of entropy-coded data is always followed by 0x00 (byte stuffing, T.81 §F.1.2.3), so
        # 0xFF 0xD0-0xD7 there is a restart marker.
        rows = _RESTART.split(jpeg[position : jpeg.rindex(_EOI)])
        return cls(bytes(tables), jpeg[:position], rows)


def splice(canvas: Rows, strips: list[tuple[int, Rows]]) -> bytes | None:
    """The canvas's JPEG with MCU rows replaced: each strip's rows from its first row on. None when a strip was
    encoded with other tables or reaches past the canvas (then encode the whole image instead)."""
    rows = list(canvas.rows)
    for first_row, strip in strips:
        if strip.tables != canvas.tables or first_row + len(strip.rows) > len(rows):
            return None
        rows[first_row : first_row + len(strip.rows)] = strip.rows
    out = bytearray(canvas.header)
    for index, row in enumerate(rows):
        if index:
            out += bytes((0xFF, 0xD0 + (index - 1) % 8))
        out += row
    return bytes(out + _EOI)


def row_spans(boxes: list[tuple[int, int, int, int]], height: int) -> list[tuple[int, int]]:
    """The pixel rows the boxes (left, top, right, bottom) cover, widened to whole MCU rows within an image
    `height` pixels tall: disjoint spans, top to bottom, those that touch merged."""
    spans: list[tuple[int, int]] = []
    for top, bottom in sorted((box[1] - box[1] % ROW, min(height, -(-box[3] // ROW) * ROW)) for box in boxes):
        if spans and top <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], bottom))
        else:
            spans.append((top, bottom))
    return spans
