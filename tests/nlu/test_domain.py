"""The out-of-domain gate: trained on topics against everyday chat, it keeps, asks or rejects."""

from __future__ import annotations

import pickle

import pytest

from bot.nlu.domain import DomainModel
from bot.nlu.risk import has_risk_word

TOPICS = {
    "health_cost": ["is the doctor free", "how much is the hospital", "do i pay for medicine",
                    "c'est gratuit le medecin", "combien coute l'hopital",
                    "cuanto cuesta el medico", "el hospital es gratis", "بشحال الطبيب",
                    "wach tbib fabor", "bkam el doktor"],
    "gbv": ["my husband beats me", "a man raped me", "il me frappe tous les jours",
            "on m'a violee", "mi marido me pega", "me violaron", "زوجي يضربني", "tkhassbni",
            "he forces me to have sex", "violence at home"],
    "mental_health": ["i cannot sleep, nightmares every night", "i feel sad all the time",
                      "je suis deprime", "j'ai des cauchemars", "estoy muy triste",
                      "no puedo dormir", "عندي قلق بزاف", "ta3ban f rasi", "stress and anxiety",
                      "i need a psychologist"],
}
CHAT = ["the bus is late again", "my brother bought a new car", "what time is the match",
        "la voiture est rouge", "on mange quoi ce soir", "il fait beau aujourd'hui",
        "el perro es grande", "vamos a la playa", "me gusta el futbol", "فين غادي نتلاقاو",
        "الجو زوين اليوم", "chkoun rbe7 lmatch", "ghadi nmchi l7anout", "nice shoes bro",
        "the cake is in the oven", "j'adore cette chanson", "la casa es azul",
        "el tren sale a las ocho", "kifach dayr m3a lkhedma jdida", "سافرت البارح لطنجة"]


@pytest.fixture(scope="module")
def model() -> DomainModel:
    texts = [t for examples in TOPICS.values() for t in examples] + CHAT
    intents = [i for i, examples in TOPICS.items() for _ in examples] + ["out_of_scope"] * len(
        CHAT)
    # Conversation intents are left out of the domain: greeting is neither topic nor chat.
    return DomainModel(ask_share=0.2, reject_share=0.1, protection_reject_share=0.05).fit(
        [*texts, "hello", "hi there"], [*intents, "greet", "greet"])


def test_thresholds_come_from_the_training_data_and_are_ordered(model: DomainModel) -> None:
    assert 0 < model.protection_threshold <= model.reject_threshold <= model.threshold < 1
    assert model.threshold <= model.confirm_threshold < 1
    assert model.threshold <= model.protection_confirm_threshold < 1


def _on_thin_evidence(model: DomainModel, text: str) -> tuple[DomainModel, float]:
    """Return a copy of the gate whose threshold is half `text`'s score, and that score."""
    score = float(model.scores([text])[0])
    thin = pickle.loads(pickle.dumps(model))
    thin.threshold = score / 2
    return thin, score


def test_a_topic_on_thin_evidence_also_needs_diet_to_be_sure(model: DomainModel) -> None:
    text = "is the hospital free"
    thin, score = _on_thin_evidence(model, text)
    thin.confirm_threshold = min(1.0, score * 1.5 + 0.01)
    thin.protection_confirm_threshold = thin.confirm_threshold
    # Above the gate's threshold but below the confirming one: DIET's confidence decides.
    assert thin.verdict(text, "health_cost", confidence=0.99).action == "keep"
    assert thin.verdict(text, "health_cost", confidence=0.6).action == "ask"
    assert thin.verdict(text, "gbv", confidence=0.6).action == "ask"
    # Conversation intents are still never touched.
    assert thin.verdict(text, "greet", confidence=0.3).action == "keep"
    # Above the confirming threshold the gate's evidence is enough.
    thin.confirm_threshold = score
    assert thin.verdict(text, "health_cost", confidence=0.6).action == "keep"


def test_a_protection_topic_on_thin_evidence_needs_diet_surer_still(model: DomainModel) -> None:
    """Everyday chat the gate lets through is mostly taken for a protection topic (distress,
    an emergency), so in their wider band those need DIET all but certain."""
    text = "i feel sad all the time"
    thin, score = _on_thin_evidence(model, text)
    thin.confirm_threshold = score / 2  # another topic would be kept on the gate's evidence
    thin.protection_confirm_threshold = min(1.0, score * 1.5 + 0.01)
    thin.protection_confirm_confidence = 0.99
    assert thin.verdict(text, "health_cost", confidence=0.6).action == "keep"
    assert thin.verdict(text, "mental_health", confidence=0.995).action == "keep"
    assert thin.verdict(text, "mental_health", confidence=0.95).action == "ask"
    assert thin.verdict(text, "gbv", confidence=0.95).action == "ask"
    thin.protection_confirm_threshold = score
    assert thin.verdict(text, "mental_health", confidence=0.6).action == "keep"
    # A gate trained before the protection band (a model file of an earlier release) still
    # answers, by the rule it was trained with.
    old = pickle.loads(pickle.dumps(thin))
    del old.protection_confirm_threshold, old.protection_confirm_confidence
    assert old.verdict(text, "mental_health", confidence=0.95).action == "keep"


def test_a_topic_in_known_words_is_kept_and_chat_is_rejected(model: DomainModel) -> None:
    assert model.verdict("is the hospital free", "health_cost").action == "keep"
    assert model.verdict("la playa es grande", "health_cost").action == "reject"
    assert model.verdict("la playa es grande", "health_cost").score < model.reject_threshold


def test_conversation_intents_and_out_of_scope_are_never_touched(model: DomainModel) -> None:
    assert model.verdict("la playa es grande", "greet").action == "keep"
    assert model.verdict("la playa es grande", "out_of_scope").action == "keep"


def test_a_word_of_danger_is_asked_about_never_rejected(model: DomainModel) -> None:
    strict = pickle.loads(pickle.dumps(model))
    strict.protection_threshold = strict.reject_threshold = strict.threshold = 1.0
    assert strict.verdict("la playa es grande", "health_cost").action == "reject"
    assert strict.verdict("la playa es grande, me muero", "health_cost").action == "ask"
    assert strict.verdict("sometimes i think it is better to die", "gbv").action == "ask"
    assert has_risk_word("ana khayfa, kaydrbni") and has_risk_word("يضربني زوجي")
    assert not has_risk_word("merci mon dieu, la voiture est rouge")


def test_a_sensitive_topic_is_asked_about_down_to_a_lower_score(model: DomainModel) -> None:
    text = "la playa es grande"
    score = float(model.scores([text])[0])
    between = pickle.loads(pickle.dumps(model))
    between.protection_threshold = score / 2
    between.reject_threshold = between.threshold = min(1.0, score * 2 + 0.01)
    # Below the general floor but above the protection one: a cost question is rejected, a
    # question about violence or distress is asked about.
    assert between.verdict(text, "health_cost").action == "reject"
    assert between.verdict(text, "gbv").action == "ask"
    assert between.verdict(text, "mental_health").action == "ask"
    between.protection_threshold = min(1.0, score * 2)
    assert between.verdict(text, "gbv").action == "reject"


def test_the_trained_gate_survives_pickling(model: DomainModel) -> None:
    again = pickle.loads(pickle.dumps(model))
    assert again.verdict("el perro es grande", "gbv") == model.verdict("el perro es grande",
                                                                       "gbv")


def test_a_protection_topic_behind_another_makes_the_message_a_question() -> None:
    from bot.actions.fallback import MIN_SUGGESTION_CONFIDENCE
    from bot.nlu.components import OFFERED_CONFIDENCE, _protection_doubt

    unsure = [{"name": "health_confidentiality", "confidence": 0.6},
              {"name": "gbv", "confidence": 0.3}]
    assert _protection_doubt("ana khayfa mn rajli", unsure)["name"] == "gbv"
    faint = [{"name": "health_cost", "confidence": 0.9}, {"name": "hiv_sti", "confidence": 0.05},
             {"name": "gbv", "confidence": 0.02}]
    assert _protection_doubt("how much is the hospital", faint) is None
    # A word of danger: the protection topic is offered whatever DIET gave it.
    assert _protection_doubt("how much is it, he beat me", faint)["name"] == "gbv"
    assert _protection_doubt("he beat me", [{"name": "gbv", "confidence": 0.9}]) is None
    # Behind another protection topic, only an emergency is offered.
    assert _protection_doubt("he beat me, i am bleeding", [{"name": "gbv", "confidence": 0.9}],
                             {"beat": frozenset({"gbv"})}) == {"name": "emergency",
                                                                "confidence": 0.0}
    assert _protection_doubt("they locked us in, he beat me", [
        {"name": "trafficking", "confidence": 0.9}]) is None
    assert _protection_doubt("je veux mourir",
                             [{"name": "mental_health", "confidence": 0.9}]) is None
    assert _protection_doubt("he beat me", [{"name": "greet", "confidence": 0.9},
                                            {"name": "gbv", "confidence": 0.1}]) is None
    # What the gate offers, the fallback shows.
    assert OFFERED_CONFIDENCE >= MIN_SUGGESTION_CONFIDENCE


def test_a_word_of_danger_offers_the_topic_it_points_to() -> None:
    from bot.nlu.components import _protection_doubt

    costly = [{"name": "health_cost", "confidence": 0.9}, {"name": "gbv", "confidence": 0.02}]
    # "ymout" (is dying) points to an emergency, even one the ranking does not hold.
    assert _protection_doubt("khoya ghadi ymout, chhal tbib", costly) == {
        "name": "emergency", "confidence": 0.0}
    assert _protection_doubt("بكم الطبيب، اخويا بيموت", costly)["name"] == "emergency"
    # A word the training examples of the first topic hold raises no doubt ...
    contraception = [{"name": "contraception", "confidence": 0.99},
                     {"name": "emergency", "confidence": 0.01}]
    explained = {"urgence": frozenset({"contraception", "emergency"})}
    assert _protection_doubt("pilule d'urgence", contraception, explained) is None
    assert _protection_doubt("pilule d'urgence", contraception)["name"] == "emergency"
    # ... unless another word does: here "saigne" (bleeding).
    assert _protection_doubt("pilule d'urgence, je saigne", contraception,
                             explained)["name"] == "emergency"
    # Small talk is asked about for a word that points to a topic, not for one that does not.
    chat = [{"name": "out_of_scope", "confidence": 0.95}, {"name": "gbv", "confidence": 0.03}]
    assert _protection_doubt("sa7bti katmout 3awnouni", chat)["name"] == "emergency"
    assert _protection_doubt("the song was a hit", chat) is None
    assert _protection_doubt("the bus was late", chat) is None


def test_a_question_asked_puts_the_topic_of_its_word_of_danger_first() -> None:
    from bot.nlu.components import OFFERED_CONFIDENCE, _offer_danger

    ranking = [{"name": "trafficking", "confidence": 0.47},
               {"name": "delete_data", "confidence": 0.35},
               {"name": "emergency", "confidence": 0.01}]
    offered = _offer_danger("khoya ghadi ymout 3awnouni", ranking)
    assert [r["name"] for r in offered] == ["emergency", "trafficking", "delete_data"]
    assert offered[0]["confidence"] == OFFERED_CONFIDENCE
    assert _offer_danger("ana khayfa, rajli kaydrbni", ranking)[0] == {
        "name": "gbv", "confidence": OFFERED_CONFIDENCE}
    # Already first (or a topic the words point to is), or no word of danger: the ranking as
    # it was.
    assert _offer_danger("mon ami va mourir", [{"name": "emergency", "confidence": 0.3},
                                               {"name": "mental_health", "confidence": 0.2}]
                         )[0]["name"] == "emergency"
    assert _offer_danger("khoya ghadi ymout", [{"name": "emergency", "confidence": 0.4},
                                               *ranking[:2]])[0]["confidence"] == 0.4
    assert _offer_danger("wach kayn chi tbib", ranking) == ranking


def test_words_of_danger_are_found_with_their_topics() -> None:
    from bot.nlu.risk import danger_topics, danger_words, explained_words

    assert danger_words("Mon mari me FRAPPE, je saigne") == ["frappe", "saigne"]
    assert danger_topics(danger_words("Mon mari me FRAPPE, je saigne")) == ["gbv", "emergency"]
    assert danger_words("عيطو للإسعاف") == ["اسعاف"]  # a prefix and a beginning
    assert danger_topics(["mourir"]) == ["mental_health", "emergency"]
    # The later languages' words and phrases are words of danger with no topic of their own.
    assert danger_words("ninkayga ayaa i garaaca") == ["i garaaca"]
    assert danger_topics(["i garaaca", "kill"]) == []
    assert danger_words("the bus was late") == []
    explained = explained_words(
        ["emergency contraception", "emergency pill now", "emergency, he is bleeding",
         "call an ambulance"], ["contraception", "contraception", "emergency", "emergency"])
    assert explained == {"emergency": frozenset({"contraception"}),
                         "bleed": frozenset(), "ambulance": frozenset()}


def test_the_new_languages_get_a_gate_of_their_own_and_the_first_ones_keep_theirs(
        model: DomainModel) -> None:
    from bot.nlu.domain import FIRST_GROUP, GroupedDomainModel

    texts = [t for examples in TOPICS.values() for t in examples] + CHAT
    intents = [i for i, examples in TOPICS.items() for _ in examples] + ["out_of_scope"] * len(
        CHAT)
    somali = {"dhakhtar lacag ma la siiyaa": "health_cost", "isbitaalka waa bilaash": "health_cost",
              "ninkayga ayaa i garaaca": "gbv", "waa la i kufsaday": "gbv",
              "hurdo ma hayo": "mental_health", "aad baan u walwalsanahay": "mental_health",
              "kubadda cagta ayaan daawanay": "out_of_scope", "baska ayaa daahay": "out_of_scope"}
    grouped = GroupedDomainModel(ask_share=0.2, reject_share=0.1,
                                 protection_reject_share=0.05).fit(
        [*texts, *somali, "hello"], [*intents, *somali.values(), "greet"],
        [None] * len(texts) + ["so"] * len(somali) + ["en"])
    assert set(grouped.models) == {FIRST_GROUP, "new"}
    # The first languages' gate learnt from their examples only: as the model above.
    first = grouped.models[FIRST_GROUP]
    assert first.threshold == pytest.approx(model.threshold)
    assert grouped.model_for("fr") is first and grouped.model_for(None) is first
    assert grouped.model_for("so") is grouped.models["new"] is grouped.model_for("am")
    assert grouped.verdict("la playa es grande", "health_cost", "es").action == "reject"
    assert grouped.verdict("ninkayga ayaa i garaaca", "gbv", "so").action == "keep"
    assert pickle.loads(pickle.dumps(grouped)).verdict(
        "ninkayga ayaa i garaaca", "gbv", "so").action == "keep"
    # It keeps which intents' examples hold each word of danger, for DomainGate.
    assert grouped.explained["i garaaca"] == frozenset()  # one example: not enough
