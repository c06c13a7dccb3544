"""Image problems in words (pure): the format a file really holds, what the pipeline reads, the one limit that
applies. Pillow's own messages name Python objects (`<_io.BytesIO object at 0x…>`) and its own limits."""

from __future__ import annotations

import re

SUPPORTED = "PNG, JPEG or WebP"
FORMAT_NAMES = {"MPO": "JPEG", "WEBP": "WebP"}  # Pillow's names -> what people call them
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"%PDF", "PDF"),
    (b"8BPS", "Photoshop (PSD)"),
    (b"PK\x03\x04", "ZIP"),
)
BOMB_PIXELS = re.compile(r"\((\d+) pixels\)")  # Pillow: "Image size (N pixels) exceeds limit of ..."


def sniff(data: bytes) -> str | None:
    """The format the bytes hold, by their signature; None when unknown."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        return "AVIF" if brand.startswith(b"avi") else "HEIC" if brand[:3] in (b"hei", b"hev", b"mif") else "video"
    for signature, name in SIGNATURES:
        if data.startswith(signature):
            return name
    head = data[:512].lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        return "SVG"
    if head.startswith((b"<!doctype html", b"<html")):
        return "HTML"
    try:
        data[:512].decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text"


def found(data: bytes, pillow_format: str | None = None) -> str:
    """What the file is, in words: `a GIF file`, `an empty file (0 bytes)`."""
    if not data:
        return "an empty file (0 bytes)"
    name = FORMAT_NAMES.get(pillow_format or "", pillow_format) or sniff(data)
    return f"{_article(name)} {name} file" if name else f"{len(data):,} bytes in no image format the pipeline knows"


def _article(name: str) -> str:
    """'an SVG', 'an HTML', 'a PNG': acronyms are read letter by letter."""
    return "an" if name[0] in "AEIOU" or (name.isupper() and name[0] in "FHLMNRSX") else "a"


def unsupported(data: bytes, pillow_format: str | None = None) -> str:
    return f"{found(data, pillow_format)}; the pipeline reads {SUPPORTED} images. Save it as one and upload it again"


def unidentified(data: bytes) -> str:
    """Bytes Pillow could not open: a damaged file of a format the pipeline reads, or another format."""
    return damaged(data) if sniff(data) in ("PNG", "JPEG", "WebP") else unsupported(data)


def damaged(data: bytes, pillow_format: str | None = None) -> str:
    what = found(data, pillow_format)
    return f"{what} that is damaged or cut short ({len(data):,} bytes); export it again and upload it"


def too_many_pixels(data: bytes, limit: int, size: tuple[int, int] | None = None, pillow_message: str = "") -> str:
    """The one limit that applies (the pipeline's), with the image's own size when known."""
    if size:
        pixels, shown = size[0] * size[1], f"{size[0]:,} × {size[1]:,} pixels"
    else:
        match = BOMB_PIXELS.search(pillow_message)
        pixels = int(match.group(1)) if match else 0
        shown = f"{pixels:,} pixels"
    measured = f"{shown} ({pixels / 1e6:.1f} MP)" if pixels else "more pixels than that"
    return f"{found(data)} of {measured}; the limit is {limit / 1e6:.0f} MP. Scale it down and upload it again"
