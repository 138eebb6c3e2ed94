"""SMS segments are counted the way carriers bill them."""

import pytest

from bot.sms import encoding, fit_budget, gsm_fold, segments, split, units


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


URL = "https://www.example.org/sante/droits-des-migrants.html"
FRENCH = (
    "Vous avez le droit aux soins de base dans les centres de sante publics, meme sans papiers. "
    f"Les urgences sont gratuites. Plus d'informations sur {URL} ou aupres d'une ONG. "
    "N'ayez pas peur: le personnel de sante ne travaille pas pour la police. "
    "Demandez un interprete si vous ne comprenez pas. "
) * 3
ARABIC = (
    "يحق لك العلاج في المراكز الصحية العامة حتى بدون أوراق. الطوارئ مجانية للجميع. "
    "الطاقم الطبي لا يعمل مع الشرطة؟ لا، لا يعمل معها. اطلب مترجما إذا لم تفهم. "
) * 3


def _words(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize("text, hint, budget", [(FRENCH, "Repondez PLUS pour la suite.", 2),
                                                (FRENCH, "Reply MORE for the rest.", 1),
                                                (ARABIC, "أرسل «المزيد» لبقية الجواب.", 3),
                                                (ARABIC, "أرسل «المزيد» لبقية الجواب.", 2)])
def test_a_long_answer_is_cut_within_budget_at_a_sentence_and_loses_nothing(
    text: str, hint: str, budget: int
) -> None:
    parts = []
    rest = text
    while rest:
        message, rest = fit_budget(rest, budget, hint)
        assert segments(message) <= budget
        if rest:
            assert message.endswith(hint)
            head = message.removesuffix(hint).rstrip()
            assert head[-1] in ".!?؟", "cut at a sentence boundary"
            parts.append(head)
        else:
            parts.append(message)
    assert _words(" ".join(parts)) == _words(text), "no word lost, cut or duplicated"
    assert all(URL in part for part in parts if "example.org" in part)


def test_arabic_is_counted_in_ucs2_segments_of_67() -> None:
    message, rest = fit_budget(ARABIC, 2, "أرسل «المزيد» لبقية الجواب.")
    assert encoding(message) == "UCS-2" and rest
    assert 70 < units(message) <= 134


def test_a_short_answer_is_sent_whole_without_the_hint() -> None:
    assert fit_budget("Call 15 now.", 1, "Reply MORE for the rest.") == ("Call 15 now.", "")


def test_numbered_choices_are_not_sentence_ends_and_words_are_never_split() -> None:
    text = "What next?\n1. Cost\n2. Where to go\n3. Emergency " + "x" * 5
    parts = split(text, lambda part: len(part) <= 14)
    assert all(len(part) <= 14 for part in parts)
    assert "1. Cost" in parts and "2. Where to go" in parts
    assert _words(" ".join(parts)) == _words(text)


def test_a_url_is_cut_around_never_through() -> None:
    text = f"Read {URL} today."
    parts = split(text, lambda part: len(part) <= len(URL) + 1)
    assert URL in parts


def test_latin_text_is_folded_into_gsm7_and_other_scripts_are_left_alone() -> None:
    spanish = "¿Dónde está el hospital más cercano? Atención médica gratuita, sí."
    assert encoding(spanish) == "UCS-2"
    folded = gsm_fold(spanish)
    assert folded == "¿Donde esta el hospital mas cercano? Atencion médica gratuita, si."
    assert encoding(folded) == "GSM-7"
    assert segments(gsm_fold(spanish * 3)) == 2 and segments(spanish * 3) == 3
    assert gsm_fold("Où aller « vite » : hôpital, cœur, reçu") == (
        'Où aller " vite " : hopital, coeur, recu')
    assert gsm_fold("Hello, é à ù ñ") == "Hello, é à ù ñ"  # already GSM-7: unchanged
    mixed = "مستشفى hôpital"
    assert gsm_fold(mixed) == mixed  # stays UCS-2 anyway: accents kept
