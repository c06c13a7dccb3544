"""Build the message fonts the variants ship: Noto subsets and the shared glyph-coverage table.

    apt-get install fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji unicode-data   # Debian packages
    .venv/bin/python -m tools.build_fonts            # every font and the table
    .venv/bin/python -m tools.build_fonts --emoji    # the colour emoji font and its part of the table only

Writes handlers/variants/fonts/*.otf|ttf (subset with fontTools: only the blocks a campaign message needs,
every OpenType layout feature kept so raqm shapes Arabic, Devanagari and Thai, hinting dropped) and
handlers/shared/glyph_coverage.json: the fallback chain in order, each font with the code points it maps.
The parser checks briefs against that table, the variants draw each character with the first font that has it.
Noto Color Emoji (SIL OFL 1.1; bitmaps in colour, CBDT, one strike of 109 px) is copied whole and comes last in the
chain; the table also lists the characters Unicode presents as emoji by default (emoji-data.txt's
Emoji_Presentation, Debian's unicode-data), which the variants draw with it although a text font has them.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

ROOT = Path(__file__).resolve().parent.parent
FONTS = ROOT / "handlers" / "variants" / "fonts"
SHARED_FONTS = ROOT / "handlers" / "shared" / "fonts"
COVERAGE = ROOT / "handlers" / "shared" / "glyph_coverage.json"
NOTO = Path("/usr/share/fonts/truetype/noto")
NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
CJK_FACE = "Noto Sans CJK SC Bold"  # one face of the collection; kana and hangul are in every face

SPACES = {0x20, 0xA0}  # in every font that has them: a space then stays in its word's run (one shaping run)
PUNCTUATION = [(0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x214F), (0x25CC, 0x25CC)]  # 25CC: dotted circle


def blocks(*ranges: tuple[int, int]) -> set[int]:
    return {code for start, end in ranges for code in range(start, end + 1)}


def legacy_charset(codec: str) -> set[int]:
    """Every character of a two-byte legacy charset (GB 2312, JIS X 0208, KS X 1001): the characters in
    everyday use, which keeps the CJK subset a few MB instead of 20."""
    found = set()
    for lead in range(0xA1, 0xFF):
        for trail in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                found.update(map(ord, bytes((lead, trail)).decode(codec)))
    return found


# The chain, in fallback order: (output file, source, wanted code points).
CHAIN = [
    (
        "NotoSans-Bold.ttf",
        NOTO / "NotoSans-Bold.ttf",
        blocks((0x20, 0x24F), (0x1E00, 0x1EFF), (0x370, 0x3FF), (0x1F00, 0x1FFF), (0x400, 0x52F), *PUNCTUATION),
    ),
    (
        "NotoSansArabic-Bold.ttf",
        NOTO / "NotoSansArabic-Bold.ttf",
        blocks((0x600, 0x6FF), (0x750, 0x77F), (0x8A0, 0x8FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF), *PUNCTUATION),
    ),
    ("NotoSansHebrew-Bold.ttf", NOTO / "NotoSansHebrew-Bold.ttf", blocks((0x590, 0x5FF), (0xFB1D, 0xFB4F))),
    (
        "NotoSansDevanagari-Bold.ttf",
        NOTO / "NotoSansDevanagari-Bold.ttf",
        blocks((0x900, 0x97F), (0xA8E0, 0xA8FF), (0x1CD0, 0x1CFF), *PUNCTUATION),
    ),
    ("NotoSansThai-Bold.ttf", NOTO / "NotoSansThai-Bold.ttf", blocks((0xE00, 0xE7F), *PUNCTUATION)),
    (
        "NotoSansCJKsc-Bold.otf",
        NOTO_CJK,
        blocks((0x3000, 0x30FF), (0x3130, 0x318F), (0xAC00, 0xD7A3), (0xFF00, 0xFFEF))
        | legacy_charset("gb2312")
        | legacy_charset("euc_jp")
        | legacy_charset("euc_kr"),
    ),
]
FALLBACK = ("DejaVuSans-Bold.ttf", SHARED_FONTS / "DejaVuSans-Bold.ttf")  # symbols; already in every image
EMOJI = ("NotoColorEmoji.ttf", NOTO / "NotoColorEmoji.ttf")
EMOJI_DATA = Path("/usr/share/unicode/emoji/emoji-data.txt")


def open_font(source: Path) -> TTFont:
    if source.suffix == ".ttc":
        return next(f for f in TTCollection(source).fonts if f["name"].getDebugName(4) == CJK_FACE)
    return TTFont(source)


def ranges(codes: set[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for code in sorted(codes):
        if out and out[-1][1] == code - 1:
            out[-1][1] = code
        else:
            out.append([code, code])
    return out


def build() -> None:
    FONTS.mkdir(parents=True, exist_ok=True)
    coverage = []
    for name, source, wanted in CHAIN:
        font = open_font(source)
        keep = (wanted | SPACES) & set(font.getBestCmap())
        options = subset.Options()
        options.layout_features = ["*"]  # shaping needs them all (init/medi/fina, conjuncts, marks)
        options.name_IDs = ["*"]
        options.notdef_outline = True
        # No hinting instructions: at message sizes (tens of pixels) hinting changes nothing visible, and FreeType
        # interpreting them made drawing a line of text 2-3x slower (benchmarks/variants_bench.py).
        options.hinting = False
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=keep)
        subsetter.subset(font)
        font.save(FONTS / name)
        coverage.append(
            {"file": f"variants/fonts/{name}", "family": font["name"].getDebugName(1), "codes": ranges(keep)}
        )
        print(f"{name:<30} {len(keep):>6} characters {(FONTS / name).stat().st_size / 1e6:>6.2f} MB")
    name, source = FALLBACK
    fallback = TTFont(source)
    coverage.append(
        {
            "file": f"shared/fonts/{name}",
            "family": fallback["name"].getDebugName(1),
            "codes": ranges({c for c in fallback.getBestCmap() if c >= 0x20}),
        }
    )
    write(coverage + [emoji()])


def emoji() -> dict[str, object]:
    """Copy the colour emoji font (whole: a subset would save little, the sequences and skin tones are most of it)
    and return its entry of the chain."""
    name, source = EMOJI
    font = TTFont(source)
    strike = font["CBLC"].strikes[0].bitmapSizeTable
    shutil.copyfile(source, FONTS / name)
    print(f"{name:<30} {len(font.getBestCmap()):>6} characters {(FONTS / name).stat().st_size / 1e6:>6.2f} MB")
    return {
        "file": f"variants/fonts/{name}",
        "family": font["name"].getDebugName(1),
        "codes": ranges({c for c in font.getBestCmap() if c >= 0x20}),
        "bitmap_size": strike.ppemY,  # a bitmap font: drawn at this size and scaled
    }


def emoji_presentation() -> list[list[int]]:
    """Code points whose default presentation is emoji (Unicode's emoji-data.txt, property Emoji_Presentation)."""
    codes = set()
    for line in EMOJI_DATA.read_text().splitlines():
        fields = [f.strip() for f in line.split("#")[0].split(";")]
        if len(fields) == 2 and fields[1] == "Emoji_Presentation":
            first, _, last = fields[0].partition("..")
            codes.update(range(int(first, 16), int(last or first, 16) + 1))
    return ranges(codes)


def write(chain: list[dict[str, object]]) -> None:
    COVERAGE.write_text(
        json.dumps({"chain": chain, "emoji_presentation": emoji_presentation()}, separators=(",", ":")) + "\n"
    )
    print(f"{COVERAGE.relative_to(ROOT)}: {COVERAGE.stat().st_size / 1e3:.0f} kB")


def build_emoji() -> None:
    """Only the emoji font: the table's other entries are kept as they are."""
    chain = [entry for entry in json.loads(COVERAGE.read_text())["chain"] if "bitmap_size" not in entry]
    write(chain + [emoji()])


if __name__ == "__main__":
    build_emoji() if "--emoji" in sys.argv[1:] else build()
