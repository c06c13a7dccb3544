"""Variants resampling: the SIMD resizer (linux x86_64, macOS) and the Pillow fallback (linux arm64) give the
pictures Pillow's own filters give, and whole renders that look the same either way."""

import io
import math
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from PIL import Image, ImageChops, ImageDraw

from handlers.variants import resampling
from handlers.variants.layout import cover_crop
from handlers.variants.render import render_all
from tests.documented import CONTRACT_VARIANT_SIZES

REPOSITORY = Path(__file__).parents[2]
SAMPLE_PRODUCT = REPOSITORY / "samples" / "existing-assets" / "acme" / "citrus" / "product.png"


@pytest.fixture(params=["simd", "pillow"])
def resampler(request, monkeypatch):
    """Each test runs with the SIMD resizer and with Pillow's (what an arm64 image runs)."""
    if request.param == "simd":
        if resampling.simd is None:
            pytest.skip("cykooz-resizer publishes no wheel for this platform")
    else:
        monkeypatch.setattr(resampling, "simd", None)
    return request.param


def psnr(a: Image.Image, b: Image.Image) -> float:
    """Peak signal-to-noise ratio over every channel, in dB (99 for identical pictures)."""
    difference = ImageChops.difference(a, b)
    histogram = difference.histogram()  # 256 counts per band, band after band
    squares = [
        sum(count * value**2 for value, count in enumerate(histogram[band * 256 : (band + 1) * 256]))
        for band in range(len(a.getbands()))
    ]
    mse = sum(squares) / (a.width * a.height * len(squares))
    return 99.0 if mse == 0 else 10 * math.log10(255**2 / mse)


def photo(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """Smooth gradients and hard edges, so both the filter's weights and its edges are exercised."""
    image = Image.radial_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    draw.ellipse((size[0] // 3, size[1] // 3, size[0] // 2, size[1] // 2), fill=(200, 40, 90))
    draw.rectangle((size[0] // 8, size[1] // 2, size[0] // 4, size[1] - 5), fill=(20, 160, 60))
    for x in range(0, size[0], 7):
        draw.line((x, 0, x, size[1] // 6), fill=(255, 255, 255))
    if mode == "RGBA":
        image.putalpha(Image.linear_gradient("L").resize(size))
    return image.convert(mode)


# (source size, box of it, output size): enlarging (the story from a 1024² generated image), a slight shrink and
# a box with fractional edges (a shared scale's union), a shrink past half (a 12 MP photo, bicubic).
CASES = [
    ((1024, 1024), (0.0, 0.0, 1024.0, 1024.0), (1080, 1920)),
    ((1400, 1300), (12.25, 40.5, 1390.75, 1200.0), (1200, 1100)),
    ((4000, 3000), (500.0, 0.0, 3500.0, 3000.0), (1080, 1080)),
]


def largest_difference(a: Image.Image, b: Image.Image) -> int:
    extrema = ImageChops.difference(a, b).getextrema()
    return max(high for _low, high in extrema) if a.getbands() != ("L",) else extrema[1]


@pytest.mark.parametrize("mode", ["RGB", "L"])
@pytest.mark.parametrize(("source_size", "box", "size"), CASES, ids=["enlarge", "mild-shrink", "shrink"])
def test_resampling_computes_pillows_own_filters(resampler, mode, source_size, box, size):
    # Pillow's bilinear below half a shrink, its bicubic beyond (without the whole-factor box reduction the
    # Pillow fallback does first for speed, which the SIMD resizer does not need).
    source = photo(source_size, mode)
    bicubic = size[0] < (box[2] - box[0]) / 2
    pillow = source.resize(size, Image.Resampling.BICUBIC if bicubic else Image.Resampling.BILINEAR, box=box)
    resampled = resampling.resample(source, box, size)
    assert resampled.mode == mode and resampled.size == size
    if bicubic and resampler == "pillow":
        assert psnr(resampled, pillow) >= 40  # the box reduction first: close, not the same
    elif bicubic:
        assert largest_difference(resampled, pillow) <= 3  # fixed-point rounding over the wider kernel
    else:
        assert largest_difference(resampled, pillow) <= 1


def test_a_picture_with_alpha_is_resampled_as_pillow_does(resampler):
    # Not a picture the renderer resamples (sources' alpha is kept apart), but resample() must stay right for
    # it: Pillow's own result, whichever resizer the image has.
    source = photo((800, 600), "RGBA")
    box, size = (0.0, 0.0, 800.0, 600.0), (1000, 750)
    assert resampling.resample(source, box, size).tobytes() == source.resize(size, Image.Resampling.BILINEAR).tobytes()


@pytest.mark.slow  # full-size Lanczos references
@pytest.mark.parametrize("source_size", [(1024, 1024), (1400, 1300), (4000, 3000)])
def test_resampling_matches_a_plain_pillow_lanczos_reference(resampler, source_size):
    source = photo(source_size)
    for size in CONTRACT_VARIANT_SIZES.values():
        box = cover_crop(source.size, size)
        reference = source.resize(size, Image.Resampling.LANCZOS, box=box)
        assert psnr(resampling.resample(source, box, size), reference) >= 35, size


def test_a_small_picture_is_enlarged_smoothly_over_any_box_of_it(resampler):
    # The plain background's grid: 48 cells across, a box of it with fractional edges, enlarged to a region.
    grid = Image.linear_gradient("L").resize((48, 30)).convert("RGB")
    box = (3.5, 2.25, 40.0, 29.5)
    enlarged = resampling.enlarge(grid, (900, 700), box=box)
    assert enlarged.size == (900, 700)
    assert psnr(enlarged, grid.resize((900, 700), Image.Resampling.BILINEAR, box=box)) >= 50
    # Smooth: neighbouring rows differ by at most a level or two (the gradient is 255 levels over 30 cells).
    column = [enlarged.getpixel((450, y))[0] for y in range(700)]
    assert max(abs(a - b) for a, b in zip(column, column[1:], strict=False)) <= 2


def test_arm64_renders_look_like_x86_64_renders(monkeypatch):
    """The sample product's five variants with the SIMD resizer and with Pillow's: the same layouts and
    pictures no eye tells apart."""
    if resampling.simd is None:
        pytest.skip("cykooz-resizer publishes no wheel for this platform")
    data = SAMPLE_PRODUCT.read_bytes()
    fast = render_all(data, "Stay cool all summer", ["#0A84FF", "#FFFFFF"])
    monkeypatch.setattr(resampling, "simd", None)
    plain = render_all(data, "Stay cool all summer", ["#0A84FF", "#FFFFFF"])
    for a, b in zip(fast, plain, strict=True):
        assert (a.name, a.framing, a.layout) == (b.name, b.framing, b.layout)
        assert psnr(Image.open(io.BytesIO(a.jpeg)), Image.open(io.BytesIO(b.jpeg))) >= 40, a.name


@pytest.mark.parametrize(
    ("machine", "system", "installed"),
    [("x86_64", "linux", True), ("aarch64", "linux", False), ("arm64", "darwin", False)],
)
def test_an_image_installs_the_simd_resizer_only_where_its_wheel_exists(machine, system, installed):
    # PyPI has cykooz-resizer 4.0.1 wheels for manylinux x86_64, macOS and Windows, none for linux aarch64: an arm64
    # image must not try to build it from source (a Rust toolchain), and resamples with Pillow instead.
    lines = (REPOSITORY / "handlers" / "variants" / "requirements.txt").read_text().splitlines()
    (line,) = [line for line in lines if line.startswith("cykooz")]
    requirement = Requirement(line)
    environment = {"platform_machine": machine, "sys_platform": system}
    assert requirement.marker is not None
    assert requirement.marker.evaluate(environment) is installed


def test_a_box_a_rounding_error_past_the_edge_is_on_the_edge(resampler):
    # Framing arithmetic in floats can put a far edge 1e-7 px outside the image; Pillow takes that (it checks in
    # 32-bit floats), and so must the SIMD resizer (64-bit). A box truly outside the image is still refused.
    source = photo((1024, 768))
    exact = resampling.resample(source, (0.0, 0.0, 1024.0, 768.0), (1080, 810))
    hair = resampling.resample(source, (0.0, 0.0, 1024.0000001, 768.0000001), (1080, 810))
    assert hair.tobytes() == exact.tobytes()
    with pytest.raises((ValueError, RuntimeError)):
        resampling.resample(source, (0.0, 0.0, 1100.0, 768.0), (1080, 810))
