"""Rendering the variants of one product: five sizes per locale, the product whole, the message beside it.

The work that depends only on the picture is done once per product (sources.decode, detect.detect, a
framing per size and the painted canvas); each locale then only lays out, draws and encodes its message, a
later locale only the JPEG rows it or the first locale draws on (jpeg_rows). Costs: benchmarks/variants_bench.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from PIL import Image

from handlers.shared import glyphs
from handlers.variants import jpeg_rows, logo, text
from handlers.variants.canvas import Pictures, compose
from handlers.variants.checks import MAX_UPSCALE, CreativeCheck, check
from handlers.variants.detect import MAX_PRODUCT_SHARE, Detection, detect
from handlers.variants.framing import Framing, at_scale, frame_product, shifted, text_box
from handlers.variants.layout import VARIANT_SIZES, Box, TextLayout, cover_scale, palette
from handlers.variants.sources import SourceImageError, decode
from handlers.variants.subjects import Subjects
from handlers.variants.text import Ink

SHARED_SCALE = 0.95  # sizes whose product scales are this close share the smallest (one resample)
ALL_SIZES = tuple(VARIANT_SIZES.values())
__all__ = ["SourceImageError", "Variant", "prepare", "render_all", "render_locale"]


@dataclass(frozen=True)
class Variant:
    name: str
    width: int
    height: int
    jpeg: bytes
    layout: TextLayout
    framing: Framing
    check: CreativeCheck
    locale: str | None = None
    logo: logo.Placement | None = None


@dataclass(frozen=True)
class Prepared:
    """What every locale of a product shares: the framings and the painted canvases (no text yet)."""

    detection: Detection
    subjects: Subjects  # what the framings keep whole and uncovered: the subject and the faces, by whom found
    framings: dict[str, Framing]
    canvases: dict[str, Image.Image]
    luminance: dict[str, text.LuminanceMap]  # what is behind the text region, per size
    upscale: dict[str, float]  # frame pixels per file pixel, per size
    source_size: tuple[int, int]  # decoded
    frames: int  # in the file; the first is rendered
    expanded: dict[str, Expanded] = field(default_factory=dict)  # sizes whose extension an expander painted
    # Per size, the first locale's variant taken apart by MCU rows, when more locales follow (render_locale).
    encoded: dict[str, Encoded] = field(default_factory=dict)


@dataclass(frozen=True)
class Encoded:
    """A locale's variant as JPEG rows, and the pixels its drawings touched (a later locale re-encodes them)."""

    rows: jpeg_rows.Rows
    drawn: list[PixelBox]


@dataclass(frozen=True)
class Expanded:
    """A canvas extended by an expander (`"framing": "expand"`): by whom, and what it cost."""

    canvas: Image.Image
    by: str  # the model id, or "local stand-in" (the plain/blur extension: offline, or a frame the model cannot take)
    cost_usd: float
    note: str = ""  # why the model did not paint it (the frame is outside its limits): flagged for review


# (canvas painted with today's extension, frame pixels the source covers) -> the canvas extended
Expander = Callable[[Image.Image, Box], Expanded]
# (the decoded, upright source) -> its subject and faces (Amazon Rekognition in AWS: rekognition.py)
SubjectFinder = Callable[[Image.Image], Subjects]


def prepare(
    data: bytes,
    sizes: Mapping[str, tuple[int, int]] = VARIANT_SIZES,
    expander: Expander | None = None,
    find_subjects: SubjectFinder | None = None,
    brand_colors: list[str] | None = None,
) -> Prepared:
    """`expander`: repaints the extension of every size that has one (generative expand). `find_subjects`: finds
    the subject and the faces of a photo; without one (or for a cut-out, whose alpha says it), detect.py's.
    `brand_colors`: a split layout's panel is the brand's (layout.palette)."""
    source = decode(data, sizes.values())
    image = source.image
    detection = detect(image, source.alpha)
    subjects = Subjects(detection.found, (), detection.method, detection.confidence)
    if find_subjects is not None and source.alpha is None:
        found = find_subjects(image)
        if found.box is not None:
            # A subject filling the picture, with no face to keep, is framed as the full-bleed photo it is.
            full_bleed = (
                not found.faces and found.box.width * found.box.height > MAX_PRODUCT_SHARE * image.width * image.height
            )
            reason = "the subject fills the whole frame (full-bleed)" if full_bleed else ""
            detection = replace(detection, box=None if full_bleed else found.box, method=found.detector, reason=reason)
            subjects = found
        else:  # the offline detector's subject stands, saying why, and what the answer cost
            why = f"{found.detector} found nothing" if found.detector == "rekognition" else found.detector
            subjects = replace(subjects, detector=f"{subjects.detector} ({why})", cost_usd=found.cost_usd)
    framings, canvases, upscale, expanded = {}, {}, {}, {}
    for name, size in sizes.items():
        # Zoom into a small product as far as the cover crop would, short of enlarging more than the check allows.
        max_scale = min(max(1.0, cover_scale(image.size, [size])), MAX_UPSCALE / source.decoded_ratio)
        framings[name] = frame_product(image.size, detection.box, size, max_scale)
    if detection.box is not None:
        framings = _shared_scales(image.size, detection.box, framings)
    pictures = Pictures(image, framings.values())
    panel = palette(brand_colors).band
    for name, framing in framings.items():
        canvases[name] = compose(image, detection, framing, pictures, panel)
        if expander is not None and framing.window is None and framing.extension(image.size) > 0:
            expanded[name] = expander(canvases[name], framing.covered(image.size))
            canvases[name] = expanded[name].canvas
        upscale[name] = framing.scale * source.decoded_ratio
    luminance = {name: text.luminance_map(canvases[name], framings[name].text_region) for name in canvases}
    return Prepared(detection, subjects, framings, canvases, luminance, upscale, image.size, source.frames, expanded)


def layout_record(variant: Variant, prepared: Prepared) -> dict[str, Any]:
    """Where everything of a variant went, for a reviewer (a review screen can draw it): the part of the source shown
    (source pixels) and where it landed (frame pixels), how the rest was filled, the subject and the faces in frame
    pixels, the text block and the logo, and the scale."""
    framing = variant.framing
    covered = framing.covered(prepared.source_size)
    (ox, oy), scale = framing.offset, framing.scale
    shown = [(covered.left - ox) / scale, (covered.top - oy) / scale, (covered.right - ox) / scale,
             (covered.bottom - oy) / scale]  # fmt: skip
    expanded = prepared.expanded.get(variant.name)
    fill = "none" if not framing.extension(prepared.source_size) else "panel" if framing.window else (
        expanded.by if expanded else prepared.detection.background
    )  # fmt: skip

    def in_frame(box: Box | None) -> list[int] | None:
        if box is None:
            return None
        return [round(box.left * scale + ox), round(box.top * scale + oy), round(box.right * scale + ox),
                round(box.bottom * scale + oy)]  # fmt: skip

    subjects = prepared.subjects
    return {
        "source_box": [round(v, 1) for v in shown],
        "frame_box": _listed(covered),
        "fill": fill,  # none (a crop), plain, photo (a blurred copy), or who painted it
        "scale": round(scale, 4),
        "subject": in_frame(subjects.subject),
        "faces": [in_frame(face) for face in subjects.faces],
        "detector": subjects.detector,
        "confidence": subjects.confidence,
        "text_box": _listed(variant.layout.band),
        "logo_box": _listed(variant.logo.box) if variant.logo else None,
    }


def _listed(box: Box) -> list[int]:
    return [box.left, box.top, box.right, box.bottom]


def _shared_scales(source_size: tuple[int, int], product: Box, framings: dict[str, Framing]) -> dict[str, Framing]:
    """Sizes whose product scales lie within SHARED_SCALE of each other take the smallest of them, so they share
    one resample (canvas.Pictures): the product a few per cent smaller in some, in the same place, never cut."""
    shared = dict(framings)
    smallest: Framing | None = None
    for name, framing in sorted(framings.items(), key=lambda item: item[1].scale):
        if smallest is None or framing.scale * SHARED_SCALE > smallest.scale:
            smallest = framing
            continue
        refit = at_scale(framing, source_size, product, smallest.scale)
        if refit.scale != smallest.scale:
            continue
        # On the leader's pixel grid (offsets a whole number of pixels apart), so its crop of the shared resample
        # is exact: a shift under half a pixel, kept only if the product stays clear of the margin and the message.
        dx, dy = ((lead - own + 0.5) % 1 - 0.5 for lead, own in zip(smallest.offset, refit.offset, strict=True))
        aligned = shifted(refit, product, dx, dy)
        box = aligned.product
        clear = box is not None and box.inside(aligned.inner) and not box.overlap(aligned.text_region)
        shared[name] = aligned if clear else refit
    return shared


def render_locale(
    prepared: Prepared,
    message: str,
    brand_colors: list[str] | None = None,
    locale: str | None = None,
    brand_logo: Image.Image | None = None,
    last: bool = False,
) -> list[Variant]:
    """The five variants of one locale. `last`: no locale follows, so the shared canvases may be drawn on
    for good. When one does, the first locale's variants are kept by JPEG rows, and each later locale draws and
    encodes only the rows either touches, on copies (jpeg_rows); the canvases stay clean throughout."""
    variants = []
    fonts = [glyphs.chain()[index].family for index in text.fonts_of(message)]
    # One treatment in every size, decided on the regions the message may take (the same for every locale).
    behind = {name: (prepared.luminance[name], framing.text_region) for name, framing in prepared.framings.items()}
    inks = text.choose_inks(behind, brand_colors)
    for name, framing in prepared.framings.items():
        frame = prepared.canvases[name]
        fitted = text.layout(message, framing.text_region, framing.size, framing.placement, locale)
        ink = inks[name]
        if ink.scrim is None:  # measured where the text is, not only where it may be
            ink = Ink(ink.text, None, text.worst_contrast(ink.text, prepared.luminance[name].behind(fitted.band)))
        avoid = [fitted.band] + ([framing.product] if framing.product else [])
        placed = logo.place(brand_logo.size, text_box(framing.size), framing.size, avoid) if brand_logo else None
        # Where each drawing may touch the frame, when rows are to be re-encoded (more than one locale).
        rows_wanted = not last or name in prepared.encoded
        drawings: list[Drawing] = [
            (
                _within(frame, text.ink_box(fitted, ink)) if rows_wanted else NOWHERE,
                partial(text.draw_message, fitted=fitted, ink=ink),
            )
        ]
        if placed and brand_logo:
            drawings.append((_within(frame, placed.box), partial(logo.draw, logo=brand_logo, placement=placed)))
        expanded = prepared.expanded.get(name)
        variant_check = check(
            framing,
            fitted.band,
            contrast=ink.contrast,
            text_px=fitted.font_size,
            upscale=prepared.upscale[name],
            fonts=fonts,
            extended=framing.window is None and framing.extension(prepared.source_size) > 0,
            no_product_reason=prepared.detection.reason,
            logo_wanted=brand_logo is not None,
            logo=placed,
            expanded_by=expanded.by if expanded else None,
            expand_cost_usd=expanded.cost_usd if expanded else 0.0,
            expand_note=expanded.note if expanded else "",
        )
        earlier = prepared.encoded.get(name)
        if earlier is not None:
            jpeg = _over(earlier, frame, drawings)
        elif last:  # the only locale: draw on the canvas itself
            jpeg = _drawn(frame, drawings)
        else:  # the first of several: the canvas stays clean for the next, and this variant is kept by rows
            jpeg = _drawn(frame.copy(), drawings)
            prepared.encoded[name] = Encoded(jpeg_rows.Rows.of(jpeg), [box for box, _ in drawings])
        width, height = framing.size
        variants.append(Variant(name, width, height, jpeg, fitted, framing, variant_check, locale, placed))
    return variants


PixelBox = tuple[int, int, int, int]
NOWHERE: PixelBox = (0, 0, 0, 0)
# A drawing on the frame: the pixels it may touch, and how to draw it on (canvas, top=the frame's row at which
# the canvas starts).
Drawing = tuple[PixelBox, Callable[..., None]]


def _within(frame: Image.Image, box: Box) -> PixelBox:
    return (max(0, box.left), max(0, box.top), min(frame.width, box.right), min(frame.height, box.bottom))


def _drawn(picture: Image.Image, drawings: list[Drawing]) -> bytes:
    """The drawings made on `picture`, encoded."""
    for _, draw in drawings:
        draw(picture, top=0)
    return jpeg_rows.encode(picture)


def _over(earlier: Encoded, canvas: Image.Image, drawings: list[Drawing]) -> bytes:
    """This locale's variant made from an earlier locale's: the rows either locale draws on are re-encoded from
    the clean canvas with this locale's drawings (on copies of those rows), the rest kept as they are."""
    strips = []
    for top, bottom in jpeg_rows.row_spans([box for box, _ in drawings] + earlier.drawn, canvas.height):
        strip = canvas.crop((0, top, canvas.width, bottom))
        for box, draw in drawings:
            if box[1] < bottom and box[3] > top:
                draw(strip, top=top)
        strips.append((top, jpeg_rows.Rows.of(jpeg_rows.encode(strip))))
    spliced = jpeg_rows.splice(earlier.rows, strips)
    return spliced if spliced is not None else _drawn(canvas.copy(), drawings)  # not spliceable: encode it whole


def render_all(
    data: bytes, message: str, brand_colors: list[str] | None = None, logo_data: bytes | None = None
) -> list[Variant]:
    """The five variants of one message (one locale)."""
    brand_logo = logo.load(logo_data) if logo_data else None
    prepared = prepare(data, brand_colors=brand_colors)
    return render_locale(prepared, message, brand_colors, brand_logo=brand_logo, last=True)
