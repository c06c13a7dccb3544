"""Framing the product in each size (pure geometry): the whole product, with a margin, beside or below
the room the message needs; never stretched, never cut.

Each size has a few placements of the message: beside the product in the wide sizes (message on the right
or the left), above or below it in every size. A placement sets aside a fixed share of the frame for the
message (fixed, so the framing does not depend on the message and is computed once for every locale) and
leaves the rest, less a margin, to the product. The product is scaled to fill its room (no more than the
decoded pixels or the cover crop allow, so a small product is not blown up needlessly) and slid within it
so the source covers as much of the frame as it can: where the source covers the frame this is a crop,
elsewhere the canvas is extended (framing.extend_canvas paints the extension). The placement that shows
the product largest wins; near-ties go to the one that needs the least extension.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from handlers.variants.layout import Box, cover_crop

MARGIN_RATIO = 0.05  # margin inside the frame, as a share of its shorter side
GAP_RATIO = 0.03  # between product and message, as a share of the frame's shorter side
BESIDE_SHARE = 0.42  # of the frame's inner width, for a message beside the product
ABOVE_SHARE = {"tall": 0.2, "square": 0.24, "wide": 0.3}  # of the inner height, for a message above/below
WIDE_ASPECT = 1.3  # width / height from which a size is "wide" and the message may go beside
NEAR_TIE = 0.97  # placements showing the product at least this share as large count as a tie
MIN_FILL = 0.5  # the product is never scaled below this share of the size that fills its room
# Where a platform's own interface covers the picture (pixels from the top, from the bottom): no text or logo
# there. Instagram stories: the top 250 px (profile, progress bar) and the bottom 340 px (reply bar) of 1080 x 1920
# (Meta's guidance for Stories: keep about 14 % at the top and 20 % at the bottom free of text and logos).
INTERFACE_ZONES: dict[tuple[int, int], tuple[int, int]] = {(1080, 1920): (250, 340)}


@dataclass(frozen=True)
class Framing:
    size: tuple[int, int]
    scale: float  # frame pixels per decoded source pixel
    offset: tuple[float, float]  # where the source's top-left corner lands in the frame
    placement: str  # "beside-right", "beside-left", "above", "below" (the message's side)
    text_region: Box  # where the message goes
    product: Box | None  # the product in frame pixels; None when no product was found (split layout)
    inner: Box  # the frame less its margin
    window: Box | None = None  # a split layout: the panel the photo fills; the rest is a solid panel for the text

    @property
    def source_box(self) -> tuple[float, float, float, float]:
        """The part of the source (decoded pixels) the frame shows, possibly reaching past its edges."""
        (ox, oy), (w, h) = self.offset, self.size
        return (-ox / self.scale, -oy / self.scale, (w - ox) / self.scale, (h - oy) / self.scale)

    def covered(self, source_size: tuple[int, int]) -> Box:
        """The frame pixels the source covers (within its window, in a split layout)."""
        (ox, oy), (w, h), s = self.offset, self.size, self.scale
        window = self.window or Box(0, 0, w, h)
        return Box(
            max(window.left, round(ox)),
            max(window.top, round(oy)),
            min(window.right, round(ox + source_size[0] * s)),
            min(window.bottom, round(oy + source_size[1] * s)),
        )

    def extension(self, source_size: tuple[int, int]) -> int:
        """Frame pixels the source does not cover (the canvas extension)."""
        covered = self.covered(source_size)
        return self.size[0] * self.size[1] - covered.width * covered.height


def margin(size: tuple[int, int]) -> int:
    return round(min(size) * MARGIN_RATIO)


def inner_box(size: tuple[int, int]) -> Box:
    m = margin(size)
    return Box(m, m, size[0] - m, size[1] - m)


def text_box(size: tuple[int, int]) -> Box:
    """Where the message and the logo may go: the frame less its margin and less the platform's interface zones
    (the product may use those: it is the picture under the interface)."""
    inner = inner_box(size)
    top, bottom = INTERFACE_ZONES.get(size, (0, 0))
    return Box(inner.left, max(inner.top, top), inner.right, min(inner.bottom, size[1] - bottom))


def shape(size: tuple[int, int]) -> str:
    aspect = size[0] / size[1]
    return "wide" if aspect >= WIDE_ASPECT else "tall" if aspect < 0.8 else "square"


def placements(size: tuple[int, int]) -> dict[str, tuple[Box, Box]]:
    """Placement -> (message region, product region). The message keeps to text_box (out of the interface zones);
    the product uses the rest of the frame's height."""
    inner, safe = inner_box(size), text_box(size)
    gap = round(min(size) * GAP_RATIO)
    found = {}
    if shape(size) == "wide":
        column = round(inner.width * BESIDE_SHARE)
        found["beside-right"] = (
            Box(inner.right - column, safe.top, inner.right, safe.bottom),
            Box(inner.left, inner.top, inner.right - column - gap, inner.bottom),
        )
        found["beside-left"] = (
            Box(inner.left, safe.top, inner.left + column, safe.bottom),
            Box(inner.left + column + gap, inner.top, inner.right, inner.bottom),
        )
    band = round(inner.height * ABOVE_SHARE[shape(size)])
    found["above"] = (
        Box(inner.left, safe.top, inner.right, safe.top + band),
        Box(inner.left, safe.top + band + gap, inner.right, inner.bottom),
    )
    found["below"] = (
        Box(inner.left, safe.bottom - band, inner.right, safe.bottom),
        Box(inner.left, inner.top, inner.right, safe.bottom - band - gap),
    )
    return found


def frame_product(
    source_size: tuple[int, int], product: Box | None, size: tuple[int, int], max_scale: float
) -> Framing:
    """The best framing of `product` (source pixels) in a frame of `size`; the cover crop without one.
    `max_scale`: the largest scale worth using (enlarging further would blur); it gives way only where
    keeping to it would leave the product less than half the size of its room (a tiny source)."""
    if product is None:
        return split_framing(source_size, size)
    best: Framing | None = None
    for placement, (text_region, room) in placements(size).items():
        framing = _place(source_size, product, size, placement, text_region, room, max_scale)
        if best is None or _better(framing, best, source_size):
            best = framing
    assert best is not None
    return best


def at_scale(framing: Framing, source_size: tuple[int, int], product: Box, scale: float) -> Framing:
    """`framing` with the product at `scale` (no larger than the framing's own), the message where it was."""
    text_region, room = placements(framing.size)[framing.placement]
    return _place(source_size, product, framing.size, framing.placement, text_region, room, scale)


def _better(candidate: Framing, best: Framing, source_size: tuple[int, int]) -> bool:
    if candidate.scale >= best.scale / NEAR_TIE:
        return True  # clearly larger
    if candidate.scale >= best.scale * NEAR_TIE:
        return candidate.extension(source_size) < best.extension(source_size)
    return False


def _place(
    source_size: tuple[int, int],
    product: Box,
    size: tuple[int, int],
    placement: str,
    text_region: Box,
    room: Box,
    max_scale: float,
) -> Framing:
    fill = min(room.width / max(1, product.width), room.height / max(1, product.height))
    scale = min(fill, max(max_scale, fill * MIN_FILL))
    ox = _slide(product.left, product.right, source_size[0], room.left, room.right, size[0], scale)
    oy = _slide(product.top, product.bottom, source_size[1], room.top, room.bottom, size[1], scale)
    in_frame = _in_frame(product, scale, ox, oy)
    return Framing(size, scale, (ox, oy), placement, text_region, in_frame, inner_box(size))


def _in_frame(product: Box, scale: float, ox: float, oy: float) -> Box:
    """The whole frame pixels the product touches (1e-6: float noise must not push an edge into the margin)."""
    return Box(
        math.floor(ox + product.left * scale + 1e-6),
        math.floor(oy + product.top * scale + 1e-6),
        math.ceil(ox + product.right * scale - 1e-6),
        math.ceil(oy + product.bottom * scale - 1e-6),
    )


def shifted(framing: Framing, product: Box, dx: float, dy: float) -> Framing:
    """`framing` with the source moved by (dx, dy) frame pixels."""
    ox, oy = framing.offset[0] + dx, framing.offset[1] + dy
    return replace(framing, offset=(ox, oy), product=_in_frame(product, framing.scale, ox, oy))


def _slide(p0: float, p1: float, extent: int, r0: int, r1: int, frame: int, scale: float) -> float:
    """The source's offset along one axis: the product inside [r0, r1], the source covering [0, frame]
    as far as it can, else the product centred in its room."""
    low, high = r0 - p0 * scale, r1 - p1 * scale  # offsets that keep the product in its room
    centred = (low + high) / 2
    cover_low, cover_high = frame - extent * scale, 0.0  # offsets at which the source covers the frame
    if cover_low > cover_high:  # the source is smaller than the frame: cover as much as possible
        cover_low, cover_high = cover_high, cover_low
    start, end = max(low, cover_low), min(high, cover_high)
    if start <= end:
        return min(max(centred, start), end)
    return high if high < cover_low else low  # the nearest offset to full cover


def split_framing(source_size: tuple[int, int], size: tuple[int, int]) -> Framing:
    """No product found (a full-bleed photo): a split layout. The photo covers a panel of its own, cropped
    centred, and the message goes on a solid panel beside it (wide sizes) or below it: nothing over the picture.
    Whole-pixel offsets, so sizes at one scale line up on one pixel grid and can share a resample (canvas.Pictures).
    """
    places = placements(size)
    placement = "beside-right" if "beside-right" in places else "below"
    text_region, _ = places[placement]
    gap = round(min(size) * GAP_RATIO)
    if placement == "beside-right":
        window = Box(0, 0, text_region.left - gap, size[1])
    else:
        window = Box(0, 0, size[0], text_region.top - gap)
    left, top, right, _ = cover_crop(source_size, (window.width, window.height))
    scale = window.width / (right - left)
    offset = (round(window.left - left * scale), round(window.top - top * scale))
    return Framing(size, scale, offset, placement, text_region, None, inner_box(size), window)
