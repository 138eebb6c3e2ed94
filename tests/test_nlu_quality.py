"""NLU quality on held-out messages the model never trains on, with floors.

The floors sit a little under what the shipped model measures (bench/nlu_quality.py prints the
figures), so the suite fails when training data or the pipeline make understanding worse.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.classify import load_agent
from bot.evaluation import LanguageScores, load_examples, parse_all, score

# Floors sit just under the shipped model's figures (README, Latest figures). DIET's seed alone
# moves a language by 3-4 points, and a few hundred examples in one language move the others
# by two or three (one DIET shares its capacity); the floors catch larger drops. How each
# floor came to be, model by model: docs/measurements.md, Test floors.
INTENT_F1_FLOOR = {"en": 0.91, "fr": 0.91, "ar": 0.88, "es": 0.91,
                   "om": 0.83, "am": 0.88, "ti": 0.85, "so": 0.85, "ha": 0.82}
LANGUAGE_ACCURACY_FLOOR = 0.95
SHORT_LANGUAGE_ACCURACY_FLOOR = {"en": 0.95, "fr": 0.95, "ar": 0.95, "es": 0.95,
                                 "om": 0.90, "am": 0.90, "ti": 0.90, "so": 0.90, "ha": 0.90}


@pytest.fixture(scope="module")
def scores(model: Path) -> dict[str, LanguageScores]:
    examples = load_examples()
    parsed = parse_all(load_agent(model), [e.text for e in examples])
    return {s.language: s for s in score(examples, parsed)}


def test_scored_messages_are_never_in_the_training_data() -> None:
    from bot.evaluation import training_keys
    from bot.text import tokens

    examples = load_examples()
    seen = training_keys()
    assert all(" ".join(tokens(e.text)) not in seen for e in examples)
    assert len(examples) >= 800  # most of the 1,016 held-out messages remain


@pytest.mark.parametrize("language", sorted(INTENT_F1_FLOOR))
def test_intent_macro_f1_per_language(scores: dict[str, LanguageScores], language: str) -> None:
    assert scores[language].intent_macro_f1 >= INTENT_F1_FLOOR[language]


@pytest.mark.parametrize("language", sorted(SHORT_LANGUAGE_ACCURACY_FLOOR))
def test_language_accuracy(scores: dict[str, LanguageScores], language: str) -> None:
    assert scores[language].language_accuracy >= LANGUAGE_ACCURACY_FLOOR
    assert scores[language].short_language_accuracy >= SHORT_LANGUAGE_ACCURACY_FLOOR[language]


# Everyday chat written for this test (the real-world sets are measured by bench/nlu_realworld.py
# and floored below): none of it may be answered as a health or protection topic.
EVERYDAY = [
    "the bus was late again this morning",
    # Taken for infectious_disease (DIET 0.93 sure) by the nine-language model of 6 December to
    # that night's, and again by the model of 7 December with faq4.yml and faq5.yml; off topic
    # with the models between, and with the linear model blended in.
    "my cousin is getting married next month",
    "on se retrouve au cafe apres le match",
    # Taken for hiv_sti by two models of 6 and 7 December (a strict xfail then); asked about
    # ("Did you mean ...?", no topic above 0.32) since French chat of Common Voice was added.
    "j'ai perdu mes cles quelque part",
    "mi hermano compro una moto nueva",
    "hoy hace mucho calor en la ciudad",
    "غدا نمشيو للسوق نشريو الخضرة",
    "الفريق ديالنا ربح الماتش البارح",
    "ghadi nchri jdid telephone mn lmarche",
    "el match emberi7 kan gamed gedan",
]
NOT_A_TOPIC = {"out_of_scope", "nlu_fallback", "greet", "goodbye", "thank", "affirm", "deny",
               "help", "bot_challenge", "choose_language", "choose_country"}


@pytest.fixture(scope="module")
def agent(model: Path):
    return load_agent(model)


@pytest.mark.parametrize("text", EVERYDAY)
def test_everyday_chat_is_never_answered_as_a_topic(agent, text: str) -> None:
    parsed = parse_all(agent, [text])[0]
    assert parsed["intent"]["name"] in NOT_A_TOPIC, (parsed["intent"], parsed.get("domain"))


@pytest.mark.parametrize("text, topic", [
    ("sometimes i think it is better to die than to live like this", "mental_health"),
    ("mon mari me frappe quand il rentre", "gbv"),
    ("ana khayfa mn rajli kaydrbni", "gbv"),
    ("عيطو للإسعاف واحد طاح ما كيتحركش", "emergency"),
    # Dying, in Darija Arabizi and Egyptian: taken for trafficking or distress until the words
    # of danger pointed to their topic.
    ("khoya ghadi ymout 3awnouni", "emergency"),
    ("أخويا بيموت", "emergency"),
])
def test_a_message_of_danger_always_reaches_its_topic(agent, text: str, topic: str) -> None:
    """Answered as the topic, or asked about with the topic among the numbered choices."""
    parsed = parse_all(agent, [text])[0]
    intent = parsed["intent"]["name"]
    if intent != "nlu_fallback":
        assert intent == topic, (intent, parsed.get("domain"))
    else:
        offered = [r["name"] for r in parsed["intent_ranking"] if r["name"] != "nlu_fallback"][:3]
        assert topic in offered, offered


@pytest.mark.parametrize("text, topic", [
    ("pilule d'urgence svp", "contraception"),
    ("where can i get emergency contraception", "contraception"),
])
def test_a_word_of_danger_its_topic_explains_is_answered(agent, text: str, topic: str) -> None:
    """"urgence" and "emergency" are words of danger that contraception examples hold too."""
    parsed = parse_all(agent, [text])[0]
    assert parsed["intent"]["name"] == topic, (parsed["intent"], parsed["intent_ranking"][:3])


# Floors on the real-world sets (tests/data/realworld/: sources never trained on), a little
# under what the shipped model measures (bench/nlu_realworld.py). They guard against a change
# that makes the assistant worse on real messages; the goals are higher (README). The
# off-topic ceilings sit about one line above the shipped model's count, or at the 5 % goal where
# two trainings on the same data differ by more (Arabizi: 5 and 7 of 171; French Tatoeba: 6 and
# 7 of 168 before and after the seventh FAQ collection, which changed 37 of its answers).
REALWORLD_FALSE_TOPIC_CEILING = {("dialect_chat", "ar"): 0.05, ("arabizi", "ar"): 0.05,
                                 ("offtopic", "en"): 0.05, ("offtopic", "fr"): 0.05,
                                 ("offtopic", "es"): 0.05}
REALWORLD_LANGUAGE_FLOOR = {("arabizi", "ar"): 0.95, ("dialect_chat", "ar"): 0.98,
                            ("offtopic", "en"): 0.97, ("offtopic", "fr"): 0.93,
                            ("offtopic", "es"): 0.95}


@pytest.fixture(scope="module")
def realworld(agent) -> dict[tuple[str, str], object]:
    from bench.nlu_realworld import load_realworld, score

    messages, _ = load_realworld()
    parsed = parse_all(agent, [m.text for m in messages])
    return {(s.kind, s.language): s for s in score(messages, parsed)}


@pytest.mark.parametrize("group", sorted(REALWORLD_FALSE_TOPIC_CEILING))
def test_real_everyday_chat_is_rarely_taken_for_a_topic(realworld, group) -> None:
    scores = realworld[group]
    assert scores.false_topic / scores.out_of_scope <= REALWORLD_FALSE_TOPIC_CEILING[group]


@pytest.mark.parametrize("group", sorted(REALWORLD_LANGUAGE_FLOOR))
def test_real_messages_are_answered_in_their_language(realworld, group) -> None:
    assert realworld[group].language_accuracy >= REALWORLD_LANGUAGE_FLOOR[group]


# On 19-46 help-page questions a language, with intents of one or two questions, one answer
# moves the macro-F1 by up to 0.2 (Spanish 0.73 -> 0.51 from 15 to 14 right): the count of
# questions answered right is the steadier guard, the macro-F1 floor catches a collapse
# (French: 0.718 -> 0.661 with 20 of 28 right both, when two answers turned right and two
# others wrong, in intents of one question).
REALWORLD_HELPPAGE_F1_FLOOR = {"en": 0.65, "fr": 0.65, "ar": 0.80, "es": 0.45}
REALWORLD_HELPPAGE_RIGHT_FLOOR = {"en": 0.65, "fr": 0.67, "ar": 0.70, "es": 0.65}


@pytest.mark.parametrize("language", sorted(REALWORLD_HELPPAGE_F1_FLOOR))
def test_real_help_page_questions_are_understood(realworld, language: str) -> None:
    scores = realworld[("helppage", language)]
    assert scores.intent_macro_f1 >= REALWORLD_HELPPAGE_F1_FLOOR[language]
    assert scores.correct / scores.examples >= REALWORLD_HELPPAGE_RIGHT_FLOOR[language]
