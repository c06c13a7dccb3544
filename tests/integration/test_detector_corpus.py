"""The offline subject detector on a labelled corpus: real photographs as Python packages ship them
(tests/fixtures/photos, boxes labelled by hand) and product shots drawn here (boxes known from the drawing). Prints
the figures; holds the detector to finding the labelled subject (IoU at least 0.5) on 80 % of the corpus."""

import io
import json
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFilter

from handlers.variants.detect import detect
from handlers.variants.layout import VARIANT_SIZES, Box
from handlers.variants.render import prepare
from handlers.variants.sources import decode

PHOTOS = Path(__file__).parents[1] / "fixtures" / "photos"
LABELS = json.loads((PHOTOS / "labels.json").read_text())["photos"]


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def studio(size, box, colour=(20, 90, 200), backdrop=(236, 236, 232)) -> bytes:
    image = Image.new("RGB", size, backdrop)
    ImageDraw.Draw(image).rounded_rectangle(box, radius=12, fill=colour)
    return png(image)


def cut_out_with_a_shadow() -> bytes:
    """A product cut out with a soft drop shadow: the shadow is partly transparent, the product opaque."""
    image = Image.new("RGBA", (800, 800), (0, 0, 0, 0))
    shadow = Image.new("L", (800, 800), 0)
    ImageDraw.Draw(shadow).ellipse((220, 600, 640, 700), fill=90)
    image.putalpha(shadow.filter(ImageFilter.GaussianBlur(25)))
    ImageDraw.Draw(image).rectangle((300, 150, 500, 650), fill=(200, 40, 40, 255))
    return png(image)


def on_a_table() -> bytes:
    """A tin on a wooden table against a wall: two backgrounds, neither plain."""
    image = Image.new("RGB", (1000, 750), (205, 198, 186))
    draw = ImageDraw.Draw(image)
    for y in range(470, 750, 6):  # planks, their grain
        draw.line((0, y, 1000, y + 3), fill=(120 + (y * 7) % 40, 78 + (y * 5) % 25, 40), width=5)
    draw.rectangle((430, 300, 570, 520), fill=(170, 175, 185))
    draw.rectangle((430, 300, 570, 330), fill=(120, 125, 135))
    return png(image)


def dark_scene() -> bytes:
    image = Image.new("RGB", (900, 900), (14, 14, 18))
    ImageDraw.Draw(image).rounded_rectangle((380, 250, 520, 700), radius=20, fill=(120, 30, 45))
    return png(image)


DRAWN = {  # name: (image bytes, the product's box as drawn)
    "tall can, studio": (studio((800, 800), (330, 120, 470, 680)), (330, 120, 471, 681)),
    "small product, studio": (studio((1024, 1024), (480, 480, 540, 560)), (480, 480, 541, 561)),
    "panorama": (studio((3000, 600), (300, 150, 520, 520)), (300, 150, 521, 521)),
    "tall portrait format": (studio((600, 1800), (200, 700, 400, 1300)), (200, 700, 401, 1301)),
    "cut-out with a soft shadow": (cut_out_with_a_shadow(), (300, 150, 501, 651)),
    "tin on a table": (on_a_table(), (430, 300, 571, 521)),
    "dark scene": (dark_scene(), (380, 250, 521, 701)),
}


def iou(a, b) -> float:
    width, height = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
    inter = max(0, width) * max(0, height)
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])  # noqa: E731
    return inter / (area(a) + area(b) - inter)


def found_box(data: bytes) -> tuple[int, int, int, int] | None:
    source = decode(data, VARIANT_SIZES.values())
    found = detect(source.image, source.alpha).found
    return None if found is None else (found.left, found.top, found.right, found.bottom)


def scores() -> dict[str, float]:
    result = {}
    for name, label in LABELS.items():
        box = found_box((PHOTOS / name).read_bytes())
        result[name] = iou(box, label["subject"]) if box else 0.0
    for name, (data, label) in DRAWN.items():
        box = found_box(data)
        result[name] = iou(box, label) if box else 0.0
    return result


def test_the_offline_detector_finds_the_labelled_subject_on_most_of_the_corpus(capsys):
    found = scores()
    photos = [found[name] for name in LABELS]
    drawn = [found[name] for name in DRAWN]
    with capsys.disabled():
        print("\nOffline subject detector, IoU with the label:")
        for name, score in found.items():
            print(f"  {name:28} {score:.2f}{'' if score >= 0.5 else '  (missed)'}")
        hits_photos, hits_drawn = sum(s >= 0.5 for s in photos), sum(s >= 0.5 for s in drawn)
        print(f"  real photographs: {hits_photos} of {len(photos)}; drawn shots: {hits_drawn} of {len(drawn)}")
    assert len(photos) >= 13 and len(drawn) >= 7
    assert sum(s >= 0.5 for s in photos + drawn) >= 0.8 * len(photos + drawn)
    # Shots on a backdrop, as the image model makes them: every one. The tin on planks is the offline detector's
    # known miss (the grain stands out more than the tin); Rekognition's answer leaves the table out (subjects.py).
    studio_like = [score for name, score in found.items() if name in DRAWN and name != "tin on a table"]
    assert all(score >= 0.5 for score in studio_like)


def test_a_cut_out_s_subject_is_its_opaque_part_not_its_shadow():
    source = decode(cut_out_with_a_shadow(), VARIANT_SIZES.values())
    detection = detect(source.image, source.alpha)
    assert detection.method == "alpha" and detection.box is not None
    assert (
        iou(
            (detection.box.left, detection.box.top, detection.box.right, detection.box.bottom),
            DRAWN["cut-out with a soft shadow"][1],
        )
        >= 0.9
    )
    assert detection.box.bottom <= 660  # the shadow (to 700 and beyond, blurred) is left out


@pytest.mark.parametrize("name", ["grace_hopper.jpg", "luispedro.jpg", "coffee.png"])
def test_a_photo_s_subject_is_framed_whole_and_clear_of_the_message_in_every_size(name):
    prepared = prepare((PHOTOS / name).read_bytes())
    assert prepared.detection.method == "saliency" and prepared.detection.box is not None
    box = prepared.detection.box
    assert iou((box.left, box.top, box.right, box.bottom), LABELS[name]["subject"]) >= 0.5
    for size_name, framing in prepared.framings.items():
        product = framing.product
        assert product is not None and product.inside(Box(0, 0, *framing.size)), size_name


MESSAGES = ("Summer deals", "Summer deals on everything you love, in store and online until the end of August")


@pytest.mark.parametrize("message", MESSAGES, ids=["short", "long"])
def test_every_photo_in_every_size_keeps_text_and_logo_out_of_the_story_interface(message):
    from handlers.variants.render import render_locale
    from tests.documented import STORY_INTERFACE_ZONES

    logo = Image.open(PHOTOS / "logo.png")
    logo.load()
    kept_whole = total = 0
    for name, label in LABELS.items():
        prepared = prepare((PHOTOS / name).read_bytes())
        for variant in render_locale(prepared, message, ["#0A84FF"], None, logo, last=True):
            top, bottom = STORY_INTERFACE_ZONES.get(variant.name, (0, 0))
            for box in (variant.layout.band, variant.logo.box if variant.logo else None):
                assert box is None or (box.top >= top and box.bottom <= variant.height - bottom), (name, variant.name)
            # The labelled subject in frame pixels: whole in the frame, and clear of the message?
            framing = variant.framing
            left, top_, right, bottom_ = (
                round(v * framing.scale + framing.offset[i % 2]) for i, v in enumerate(label["subject"])
            )
            subject = Box(left, top_, right, bottom_)
            whole = subject.inside(Box(-2, -2, variant.width + 2, variant.height + 2))
            kept_whole += whole and subject.overlap(variant.layout.band) == 0
            total += 1
    print(f"\n  {message[:20]!r}: the labelled subject whole and clear of the message in {kept_whole} of {total}")
    # Measured: 37 of 65 with the saliency detector, 17 of 65 with the border model alone (portraits and animals
    # filling the frame are still cut by the cover crop offline; Rekognition's faces keep them whole in AWS).
    assert kept_whole >= 0.55 * total


@pytest.mark.parametrize("name", sorted(LABELS))
def test_one_treatment_in_every_size_and_the_brand_colour_shows(name):
    """The brief's orange as the text where it is legible behind the text in every size, else as the panel
    behind the text in every size, with white or black on it: never orange text in one size and a box in another."""
    from handlers.variants.render import render_locale

    orange = "#F28C28"  # a brand orange: 2.4:1 on white, so rarely legible as text on a light picture
    prepared = prepare((PHOTOS / name).read_bytes())
    variants = render_locale(prepared, "Summer deals on everything you love", [orange], None, None, last=True)
    images = {v.name: Image.open(io.BytesIO(v.jpeg)).convert("RGB") for v in variants}
    treatments = set()
    for variant in variants:
        band = variant.layout.band
        corner = images[variant.name].getpixel((band.left + 16, band.top + 16))  # in the panel's padding
        panel = all(abs(a - b) <= 12 for a, b in zip(corner, (0xF2, 0x8C, 0x28), strict=True))
        treatments.add(panel)
        assert variant.check.contrast >= 4.5, variant.name
    assert len(treatments) == 1, f"{name}: a panel in some sizes only"
