"""The creative check of each variant (pure): what a reviewer would look for, measured, with the reasons a
variant needs a person's look. A variant that fails a check is still delivered (the campaign completes);
the manifest, the gallery and the local run's summary say which and why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from handlers.variants.framing import INTERFACE_ZONES, Framing
from handlers.variants.layout import MIN_CONTRAST, Box
from handlers.variants.logo import Placement

TEXT_FLOOR = 0.035  # the smallest font size, as a share of the frame's shorter side (issue 27)
MAX_UPSCALE = 2.0  # source pixels enlarged more than this look soft


@dataclass(frozen=True)
class CreativeCheck:
    placement: str  # where the message went: beside-right, beside-left, above, below
    product_visible: bool | None  # the whole product inside the frame's margin; None: no product found
    overlap_px: int | None  # pixels of the message's block over the product; None: no product found
    contrast: float  # WCAG contrast of the text against what is behind it (worst case)
    text_px: int  # font size of the message, in pixels (every line has the same)
    upscale: float  # frame pixels per source pixel (above 1: the source was enlarged)
    fonts: list[str]
    extended: bool  # the canvas was extended past the source (a split layout's panel is not an extension)
    logo: str | None = None  # the corner the logo went to; None without one
    expanded_by: str | None = None  # generative expand: the model that painted the extension (or the stand-in)
    expand_cost_usd: float = 0.0  # what that painting cost (0 when reused from the cache)
    reasons: list[str] = field(default_factory=list)
    split: bool = False  # a split layout: the photo cropped to a panel of its own, the message on a solid panel

    @property
    def needs_review(self) -> bool:
        return bool(self.reasons)

    def to_json(self) -> dict[str, Any]:
        return (
            {
                "needs_review": self.needs_review,
                "reasons": self.reasons,
                "placement": self.placement,
                "product_visible": self.product_visible,
                "overlap_px": self.overlap_px,
                "contrast": round(self.contrast, 2),
                "text_px": self.text_px,
                "upscale": round(self.upscale, 2),
                "fonts": self.fonts,
                "extended": self.extended,
                "logo": self.logo,
            }
            | ({"split": True} if self.split else {})
            | ({"expanded_by": self.expanded_by, "expand_cost_usd": self.expand_cost_usd} if self.expanded_by else {})
        )


def text_floor(size: tuple[int, int]) -> int:
    """The smallest font size in pixels a frame of `size` may carry: TEXT_FLOOR of its shorter side, rounded up."""
    return math.ceil(TEXT_FLOOR * min(size) - 1e-9)


def check(
    framing: Framing,
    block: Box,
    *,
    contrast: float,
    text_px: int,
    upscale: float,
    fonts: list[str],
    extended: bool,
    no_product_reason: str = "",
    logo_wanted: bool = False,
    logo: Placement | None = None,
    expanded_by: str | None = None,
    expand_cost_usd: float = 0.0,
    expand_note: str = "",
) -> CreativeCheck:
    product = framing.product
    visible = None if product is None else product.inside(framing.inner)
    overlap = None if product is None else block.overlap(product)
    reasons = []
    if product is None:
        reasons.append(
            f"no product found ({no_product_reason or 'none stands out'}): split layout, the photo cropped "
            "beside the message"
        )
    elif not visible:
        reasons.append("the product reaches into the frame's margin")
    if overlap:
        reasons.append(f"the message covers {overlap} px of the product")
    if contrast < MIN_CONTRAST:
        reasons.append(f"text contrast {contrast:.2f}:1 is below {MIN_CONTRAST}:1")
    floor = text_floor(framing.size)
    if text_px < floor:
        reasons.append(f"text is {text_px} px, below {TEXT_FLOOR:.1%} of the frame's shorter side ({floor} px)")
    if upscale > MAX_UPSCALE:
        reasons.append(f"source enlarged {upscale:.1f}x (more than {MAX_UPSCALE:g}x): may look soft")
    if logo_wanted and logo is None:
        reasons.append("no corner has room for the logo clear of the product and the message: logo left out")
    top, bottom = INTERFACE_ZONES.get(framing.size, (0, 0))
    covered = [what for what, box in (("text", block), ("logo", logo.box if logo else None)) if box is not None
               and (box.top < top or box.bottom > framing.size[1] - bottom)]  # fmt: skip
    if covered:
        reasons.append(f"{' and '.join(covered)} under the platform's interface (top {top} px, bottom {bottom} px)")
    if expand_note:
        reasons.append(f"extended by the plain fill, not the outpaint model: {expand_note}")
    return CreativeCheck(
        framing.placement,
        visible,
        overlap,
        contrast,
        text_px,
        upscale,
        fonts,
        extended,
        logo.corner if logo else None,
        expanded_by,
        expand_cost_usd,
        reasons,
        framing.window is not None,
    )
