"""Line breaking by language (handlers/variants/linebreak.py), with the expected breaks written by hand.

Widths here are character counts (`len`), so each expectation can be worked out on paper: the fewest lines that
fit, then the balanced choice among them (the least squared slack), without a single-word last line where as many
lines allow another break.
"""

import pytest

from handlers.variants.linebreak import HYPHEN, break_lines, opportunities, segments

JAPANESE = "期間限定のスペシャルオファー、新しい視点でお届けします。"
# Phrase by phrase (bunsetsu), as a Japanese reader reads it: a line may end after each of these, and nowhere else.
JAPANESE_PHRASES = ["期間限定の", "スペシャルオファー、", "新しい", "視点で", "お届けします。"]
THAI = "สดชื่นตลอดฤดูร้อนกับสามรสชาติใหม่"  # "refreshing all summer with three new flavours"
# Its words: สดชื่น fresh, ตลอด throughout, ฤดู season, ร้อน hot, กับ with, สาม three, รสชาติ flavour, ใหม่ new.
THAI_WORDS = ["สดชื่น", "ตลอด", "ฤดู", "ร้อน", "กับ", "สาม", "รสชาติ", "ใหม่"]
THAI_FAMILY = "เครื่องดื่มสดชื่นสำหรับทุกคนในครอบครัว"  # "a refreshing drink for everyone in the family"
THAI_FAMILY_WORDS = ["เครื่อง", "ดื่ม", "สดชื่น", "สำหรับ", "ทุก", "คน", "ใน", "ครอบครัว"]


def ends(words: list[str]) -> set[int]:
    """The character offsets at which each word but the last ends."""
    found, position = set(), 0
    for word in words[:-1]:
        position += len(word)
        found.add(position)
    return found


def line_starts(lines: list[str]) -> set[int]:
    found, position = set(), 0
    for line in lines[:-1]:
        position += len(line)
        found.add(position)
    return found


def test_japanese_breaks_only_between_phrases_never_inside_a_word():
    assert set(opportunities(JAPANESE, "ja-JP")) == ends(JAPANESE_PHRASES)
    for width in range(10, 30):  # the longest phrase, スペシャルオファー、, is 10 characters
        lines = break_lines(JAPANESE, width, len, "ja-JP")
        assert lines is not None and "".join(lines) == JAPANESE
        assert line_starts(lines) <= ends(JAPANESE_PHRASES), (width, lines)
        for word in ("オファー", "視点", "スペシャル", "期間限定"):  # the オ/ファー and 視/点
            assert any(word in line for line in lines), (word, lines)


def test_japanese_at_twelve_characters_is_set_phrase_by_phrase_balanced():
    # Four lines are needed (5 + 10 + 3 + 3 + 7 characters, no two of the first three together fit 12);
    # 新しい視点で / お届けします。 is more even than 新しい / 視点でお届けします。.
    assert break_lines(JAPANESE, 12, len, "ja-JP") == [
        "期間限定の",
        "スペシャルオファー、",
        "新しい視点で",
        "お届けします。",
    ]
    assert break_lines(JAPANESE, 15, len, "ja-JP") == ["期間限定のスペシャルオファー、", "新しい視点でお届けします。"]


def test_a_phrase_wider_than_the_line_does_not_fit_rather_than_being_cut():
    assert break_lines(JAPANESE, 9, len, "ja-JP") is None  # スペシャルオファー、 is 10: the size must go down


KINSOKU = "「カギ」をチェック。ちょっとだけ、ショッピング！"
NO_LINE_START = set(
    "、。，．！？」』）】〉》ーァィゥェォッャュョヮヵヶぁぃぅぇぉっゃゅょゎ々"
)  # closing marks, small kana
NO_LINE_END = set("「『（【〈《")


@pytest.mark.parametrize("message", [KINSOKU, JAPANESE, "ゆっくり、ショッピング。「キャンペーン」実施中ッ！"])
def test_kinsoku_no_line_starts_with_closing_punctuation_or_a_small_kana(message):
    tried = 0
    for width in range(3, 25):
        lines = break_lines(message, width, len, "ja-JP")
        if lines is None:
            continue
        tried += 1
        assert "".join(lines) == message
        assert not any(line[0] in NO_LINE_START for line in lines), (width, lines)
        assert not any(line[-1] in NO_LINE_END for line in lines), (width, lines)
    assert tried >= 10


def test_kinsoku_phrases_keep_their_punctuation_and_small_kana():
    assert break_lines(KINSOKU, 8, len, "ja-JP") == ["「カギ」を", "チェック。", "ちょっとだけ、", "ショッピング！"]


def test_chinese_breaks_between_words_of_its_own_model():
    message = "整个夏天都保持清凉，尝尝三种全新口味的气泡水"
    for width in range(4, 20):
        lines = break_lines(message, width, len, "zh-CN")
        assert lines is not None and "".join(lines) == message
        for word in ("夏天", "保持", "清凉，", "口味", "气泡"):  # summer, keep, cool, flavour, bubbles
            assert any(word in line for line in lines), (word, lines)
        assert not any(line[0] in "，。" for line in lines)


def test_thai_breaks_at_word_boundaries():
    assert set(opportunities(THAI)) == ends(THAI_WORDS)
    assert set(opportunities(THAI_FAMILY)) == ends(THAI_FAMILY_WORDS)
    for message, words in ((THAI, THAI_WORDS), (THAI_FAMILY, THAI_FAMILY_WORDS)):
        for width in range(max(map(len, words)), len(message)):
            lines = break_lines(message, width, len, "th-TH")
            assert lines is not None and "".join(lines) == message
            assert line_starts(lines) <= ends(words), (width, lines)


def test_korean_breaks_only_at_spaces():
    assert break_lines("여름 내내 시원하게 새로운 탄산수", 6, len, "ko-KR") == [
        "여름 내내",
        "시원하게",
        "새로운",
        "탄산수",
    ]
    assert break_lines("여름 내내 시원하게 새로운 탄산수", 3, len, "ko-KR") is None  # 시원하게 is never cut


def test_no_single_word_last_line_where_a_balanced_break_exists():
    # Greedy filling gives "Fresh citrus flavours for the whole" / "summer".
    assert break_lines("Fresh citrus flavours for the whole summer", 36, len, "en-US") == [
        "Fresh citrus flavours",
        "for the whole summer",
    ]
    # Greedy: ابقَ منتعشاً طوال الصيف مع نكهاتنا (34) / الجديدة. Balanced: "Stay fresh all summer / with our new
    # flavours" (23 and 18 characters).
    assert break_lines("ابقَ منتعشاً طوال الصيف مع نكهاتنا الجديدة", 35, len, "ar") == [
        "ابقَ منتعشاً طوال الصيف",
        "مع نكهاتنا الجديدة",
    ]
    # Thai (words of 6, 4, 3, 4, 3, 3, 6 and 4 characters): greedy at 30 leaves ใหม่ alone; the most even of the
    # two-line breaks is "refreshing all summer / with three new flavours" (17 and 16).
    assert break_lines(THAI, 30, len, "th-TH") == ["สดชื่นตลอดฤดูร้อน", "กับสามรสชาติใหม่"]


def test_no_orphan_even_where_the_most_even_break_has_one():
    # Three lines are needed ("Fresh lemon" is 11). By squared slack alone Fresh / lemon all / summer (25 + 1 + 16)
    # beats Fresh / lemon / all summer (25 + 25 + 0), but its last line is one word.
    assert break_lines("Fresh lemon all summer", 10, len, "en") == ["Fresh", "lemon", "all summer"]


def test_an_orphan_is_kept_only_where_every_break_has_one():
    assert break_lines("Stay cool", 6, len) == ["Stay", "cool"]


def test_a_long_german_compound_is_hyphenated_by_its_language():
    message = "Sommerfrischegetränkeauswahl für die ganze Familie"
    # German syllables (Som-mer-fri-sche-ge-trän-ke-aus-wahl): the compound may end a line after any of these.
    syllable_ends = ["Sommer", "Sommerfri", "Sommerfrische", "Sommerfrischege", "Sommerfrischegeträn"]
    syllable_ends += ["Sommerfrischegetränke", "Sommerfrischegetränkeaus", "Som"]
    lines = break_lines(message, 16, len, "de-DE")
    assert lines is not None
    assert lines[0].endswith(HYPHEN) and lines[0][: -len(HYPHEN)] in syllable_ends, lines
    assert lines[0][: -len(HYPHEN)] + lines[1] == "Sommerfrischegetränkeauswahl"
    assert all(len(line) <= 16 for line in lines)
    assert lines == ["Sommerfrische-", "getränkeauswahl", "für die", "ganze Familie"]


def test_a_word_is_hyphenated_once_a_word_that_needs_two_hyphens_does_not_fit():
    # 28 letters over two lines of 11 cannot be (10 + hyphen, then 18): rather than Sommerfri- / schegeträn- /
    # keauswahl, the size goes down.
    assert break_lines("Sommerfrischegetränkeauswahl", 11, len, "de-DE") is None
    assert break_lines("Sommerfrischegetränkeauswahl", 15, len, "de-DE") == ["Sommerfrische-", "getränkeauswahl"]


def test_without_a_language_a_word_wider_than_the_line_does_not_fit():
    assert break_lines("Sommerfrischegetränkeauswahl für die ganze Familie", 16, len) is None
    # ...nor in a language without a dictionary
    assert break_lines("Sommerfrischegetränkeauswahl", 16, len, "xx") is None


def test_a_word_that_fits_the_line_is_never_hyphenated():
    # Erfrischung (11) fits 12: four lines, none hyphenated (ganze Familie is 13; Familie alone is unavoidable).
    assert break_lines("Erfrischung für die ganze Familie", 12, len, "de-DE") == [
        "Erfrischung",
        "für die",
        "ganze",
        "Familie",
    ]


def test_the_last_resort_cuts_between_characters_never_before_a_combining_mark():
    thai = "สดชื่นตลอดฤดูร้อน"
    lines = break_lines("x" * 20 + " " + thai, 3, len, last_resort=True)
    assert lines is not None and "".join(lines).replace(" ", "") == "x" * 20 + thai
    marks = "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c"
    assert not any(line[0] in marks for line in lines)


def test_breaks_follow_uax14_around_spaces_and_punctuation():
    # After spaces, but not before "!" or "%" nor after an opening bracket; after a hyphen; not inside "30%".
    assert [s.text for s in segments("Hello ! Save 30 % ( today ) e-mail", "en")] == [
        "Hello !",
        "Save",
        "30 %",
        "( today )",
        "e-",
        "mail",
    ]
    assert [s.text for s in segments("a\u200bb c\u00a0d", "en")] == ["a\u200b", "b", "c\u00a0d"]


def test_paragraphs_break_where_the_writer_broke_them():
    assert break_lines("Summer sale\nNow on", 40, len, "en") == ["Summer sale", "Now on"]
