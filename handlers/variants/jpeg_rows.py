"""JPEG encoding by rows of blocks, so a further locale re-encodes only the rows its text and logo touch.

Every variant is encoded with a restart marker after each row of MCUs (16 pixel rows at 4:2:0): each such row is
then entropy-coded on its own (the DC prediction restarts), and its bytes depend only on its own pixels and the
tables. A later locale takes an earlier locale's encoded variant, re-encodes from the clean canvas (with its own
text drawn) just the rows either locale drew on, and splices them in: the very bytes a whole encode gives
(tests/unit/test_variants_jpeg_rows.py), for the share of the encoding the text covers. Restart markers are part
of baseline JPEG (ITU T.81 §B.2.1): 2 bytes a row, plus the bits each row's padding and restarted DC prediction
cost (0.1-0.7 % of a variant's file here).
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
_BASELINE_FRAMES = {0xC0, 0xC1}  # sequential DCT: one scan, rows in order (progressive JPEGs are not spliced)
_RESTART = re.compile(b"\xff[\xd0-\xd7]")


def encode(image: Image.Image) -> bytes:
    """The image as a variant JPEG: quality QUALITY, 4:2:0, a restart marker after every MCU row."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=QUALITY, subsampling=SUBSAMPLING, restart_marker_rows=1)
    return buffer.getvalue()


@dataclass(frozen=True)
class Rows:
    """An encoded JPEG taken apart: its headers (up to the scan's data) and each MCU row's entropy-coded bytes."""

    tables: bytes  # every header segment but the frame header (SOF)
    frame: bytes  # the frame header without its height: precision, width, components and their sampling
    height: int  # pixel rows
    mcu_height: int  # pixel rows per MCU row (0: not a sequential JPEG, never spliced)
    header: bytes  # everything before the first row's data
    rows: list[bytes]

    @classmethod
    def of(cls, jpeg: bytes) -> Rows:
        position, tables, frame, height, mcu_height = 2, bytearray(), b"", 0, 0
        while True:  # header segments: marker, 2-byte big-endian length (which counts itself), payload
            marker, length = jpeg[position : position + 2], int.from_bytes(jpeg[position + 2 : position + 4], "big")
            end = position + 2 + length
            if 0xC0 <= marker[1] <= 0xCF and marker[1] not in (0xC4, 0xC8, 0xCC):  # a frame header (SOFn)
                payload = jpeg[position + 4 : end]  # precision, height (2), width (2), components, 3 bytes each
                frame, height = payload[:1] + payload[3:], int.from_bytes(payload[1:3], "big")
                if marker[1] in _BASELINE_FRAMES:  # one component: an MCU is one block (T.81 §A.2.2)
                    sampling = [payload[7 + 3 * c] & 0x0F for c in range(payload[5])]
                    mcu_height = 8 * (max(sampling) if len(sampling) > 1 else 1)
            else:
                tables += jpeg[position:end]
            position = end
            if marker == _SOS:
                break
        # A 0xFF byte of entropy-coded data is always followed by 0x00 (byte stuffing, T.81 §F.1.2.3), so
        # 0xFF 0xD0-0xD7 there is a restart marker.
        rows = _RESTART.split(jpeg[position : jpeg.rindex(_EOI)])
        return cls(bytes(tables), frame, height, mcu_height, jpeg[:position], rows)


def splice(image: Rows, strips: list[tuple[int, Rows]]) -> bytes | None:
    """The image's JPEG with rows replaced: each (top, strip) puts the strip's rows from pixel row `top` on.

    None when a strip cannot be spliced exactly (then encode the whole image): other tables, another width or
    sampling, no restart marker per MCU row, `top` or the strip's end inside an MCU row."""
    step = image.mcu_height
    if not step or len(image.rows) != -(-image.height // step):
        return None
    rows = list(image.rows)
    for top, strip in strips:
        first = top // step
        if (
            strip.tables != image.tables
            or strip.frame != image.frame
            or strip.mcu_height != step
            or top % step
            or len(strip.rows) != -(-strip.height // step)
            or (strip.height % step and top + strip.height != image.height)
            or top + strip.height > image.height
        ):
            return None
        rows[first : first + len(strip.rows)] = strip.rows
    out = bytearray(image.header)
    for index, row in enumerate(rows):
        if index:
            out += bytes((0xFF, 0xD0 + (index - 1) % 8))
        out += row
    return bytes(out + _EOI)


def row_spans(boxes: list[tuple[int, int, int, int]], height: int) -> list[tuple[int, int]]:
    """The pixel rows the boxes (left, top, right, bottom) cover, widened to whole MCU rows within an image
    `height` pixels tall: disjoint spans, top to bottom, those that touch merged; empty boxes cover none."""
    spans: list[tuple[int, int]] = []
    for top, bottom in sorted(
        (box[1] - box[1] % ROW, min(height, -(-box[3] // ROW) * ROW)) for box in boxes if box[3] > box[1]
    ):
        if spans and top <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], bottom))
        else:
            spans.append((top, bottom))
    return spans
