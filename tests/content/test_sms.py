"""SMS segments are counted the way carriers bill them."""

from bot.content.sms import encoding, segments, units


def test_gsm7_is_160_in_one_segment_then_153_per_segment() -> None:
    assert encoding("Hello, é à ù ñ") == "GSM-7"
    assert segments("a" * 160) == 1
    assert segments("a" * 161) == 2
    assert segments("a" * 306) == 2
    assert segments("a" * 307) == 3


def test_extension_characters_count_twice() -> None:
    assert units("€") == 2
    assert segments("€" * 80) == 1
    assert segments("€" * 81) == 2


def test_arabic_and_other_characters_switch_to_ucs2_70_then_67() -> None:
    assert encoding("مرحبا") == "UCS-2"
    assert encoding("hôpital") == "UCS-2"  # ô is not in GSM-7
    assert segments("م" * 70) == 1
    assert segments("م" * 71) == 2
    assert segments("م" * 134) == 2
    assert segments("م" * 135) == 3


def test_emoji_count_as_two_utf16_units() -> None:
    assert units("😀") == 2
    assert segments("😀" * 35) == 1
    assert segments("😀" * 36) == 2


def test_empty_text_is_no_segment() -> None:
    assert segments("") == 0
