"""Reading a source image as the camera meant it (pure): upright, in 8-bit sRGB-ish RGB, with its alpha.

- EXIF orientation is applied (a phone photo shot in portrait stays upright).
- Every Pillow mode is converted by what its values mean, not clipped: 16-bit grayscale (I;16*) and 32-bit
  integer (I) images are scaled from 0-65535 when any value is above 255; float (F) images from 0-1 when
  every value is at most 1, else from 0-255 or 0-65535 as for I; CMYK uses its embedded ICC profile when it
  has one; palette images keep their transparency; 16-bit RGB PNGs are read at 8 bits by Pillow itself.
- Transparency (RGBA, LA, PA, P with a transparent index) is kept as the alpha mask the product detection
  uses; the colour image has it laid on white.
- An animated image (GIF, APNG, animated WebP) renders its first frame; the frame count is recorded.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from handlers.shared.image_words import damaged, too_many_pixels, unidentified, unsupported
from handlers.variants.layout import cover_scale

MAX_SOURCE_PIXELS = 64_000_000  # larger sources (a decompression bomb, or a 64 MP poster) are refused
DRAFT_ENLARGE = 1.3  # a JPEG may decode reduced so far that the largest size enlarges it this much
ORIENTATION = 0x0112  # the EXIF tag
FORMATS = ("PNG", "JPEG", "MPO", "WEBP", "GIF", "TIFF")
Image.MAX_IMAGE_PIXELS = MAX_SOURCE_PIXELS  # Pillow checks it when reading the header
Image.preinit()  # the common format plugins (JPEG, PNG, GIF) load with this module, not on the first render


class SourceImageError(ValueError):
    """The source cannot be rendered (corrupt, not an image, too many pixels): a permanent product error."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Source:
    image: Image.Image  # RGB, upright; transparency laid on white
    alpha: Image.Image | None  # L, upright, when the file has transparency
    full_size: tuple[int, int]  # upright size of the file's pixels (a JPEG may decode reduced)
    frames: int  # frames in the file; only the first is rendered

    @property
    def decoded_ratio(self) -> float:
        """Decoded pixels per file pixel (below 1 when a JPEG was decoded reduced)."""
        return self.image.width / self.full_size[0]


def decode(data: bytes, sizes: Iterable[tuple[int, int]] = ()) -> Source:
    """Decode once, refusing bombs, truncated and corrupt files. A JPEG decodes straight at 1/2, 1/4 or
    1/8 scale (draft mode) when the cover crop of every size in `sizes` stays covered at that scale, enlarged by
    at most DRAFT_ENLARGE (decoding is most of a photo's cost; that slight enlargement costs less sharpness than the
    JPEG encoding does: benchmarks/variants_bench.py prints the quality)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = None
        try:
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_SOURCE_PIXELS:
                raise SourceImageError("SourceTooLarge", too_many_pixels(data, MAX_SOURCE_PIXELS, (width, height)))
            if image.format not in FORMATS:
                raise SourceImageError("SourceUnreadable", unsupported(data, image.format))
            frames = getattr(image, "n_frames", 1)
            cover = max((cover_scale(o, sizes) for o in ((width, height), (height, width))), default=1.0)
            draft_scale = cover / DRAFT_ENLARGE
            if image.format == "JPEG" and draft_scale < 1:
                image.draft("RGB", (max(1, round(width * draft_scale)), max(1, round(height * draft_scale))))
            image.load()
            full = (width, height)
            # exif_transpose copies an image it need not turn: only a turned one pays for it.
            turned = image.getexif().get(ORIENTATION, 1) not in (1, None)
            upright = ImageOps.exif_transpose(image) if turned else image
            if upright.size != image.size:
                full = (height, width)
        except SourceImageError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise SourceImageError(
                "SourceTooLarge", too_many_pixels(data, MAX_SOURCE_PIXELS, None, str(error))
            ) from error
        except UnidentifiedImageError as error:
            raise SourceImageError("SourceUnreadable", unidentified(data)) from error
        except (OSError, SyntaxError, ValueError) as error:
            raise SourceImageError(
                "SourceUnreadable", damaged(data, image.format if image is not None else None)
            ) from error
    rgb, alpha = to_rgb(upright)
    return Source(rgb, alpha, full, frames)


def to_rgb(image: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    """(RGB image with transparency laid on white, alpha mask or None)."""
    mode = image.mode
    if mode == "RGB":
        return image, None
    if mode.startswith("I") or mode == "F":
        return _to_8bit(image).convert("RGB"), None
    if mode == "CMYK":
        return _cmyk_to_rgb(image), None
    if mode in ("RGBA", "LA", "PA", "La", "RGBa") or (mode in ("P", "L", "RGB", "1") and "transparency" in image.info):
        flat = image.convert("RGBA")
        alpha = flat.getchannel("A")
        background = Image.new("RGB", flat.size, (255, 255, 255))
        background.paste(flat, mask=alpha)
        return background, alpha
    return image.convert("RGB"), None


def _to_8bit(image: Image.Image) -> Image.Image:
    """A 16/32-bit integer or float image as 8-bit L: scaled from its full scale, rounded, clipped."""
    values = image if image.mode == "F" else image.convert("I")
    _, top = values.getextrema()
    assert isinstance(top, (int, float)), "a single-band image has scalar extrema"
    full_scale = 1.0 if values.mode == "F" and top <= 1.0 else 65535.0 if top > 255 else 255.0
    factor = 255.0 / full_scale
    return values.convert("F").point(lambda value: value * factor + 0.5).convert("L")  # F -> L clips and truncates


def _cmyk_to_rgb(image: Image.Image) -> Image.Image:
    profile = image.info.get("icc_profile")
    if profile:
        from PIL import ImageCms

        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken profile: the plain conversion below is still the right colours, roughly
    return image.convert("RGB")
