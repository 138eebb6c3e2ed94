"""The linear second opinion beside DIET, and their blend."""

from __future__ import annotations

import pickle

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.components import LexicalBlend
from bot.nlu.lexical import UNRANKED, LexicalIntentModel, blend

EXAMPLES = {
    "health_cost": ["is the doctor free", "how much is the hospital", "do i pay for medicine",
                    "c'est gratuit le medecin", "combien coute l'hopital",
                    "cuanto cuesta el medico", "el hospital es gratis", "wach tbib fabor"],
    "gbv": ["my husband beats me", "a man raped me", "il me frappe tous les jours",
            "on m'a violee", "mi marido me pega", "me violaron", "زوجي يضربني", "tkhassbni"],
    "greet": ["hello", "hi there", "bonjour", "salam", "hola", "good morning", "salut",
              "السلام عليكم"],
}


@pytest.fixture(scope="module")
def model() -> LexicalIntentModel:
    return LexicalIntentModel().fit(
        [t for examples in EXAMPLES.values() for t in examples],
        [i for i, examples in EXAMPLES.items() for _ in examples])


def test_the_linear_model_reads_a_phrasing_it_never_saw(model: LexicalIntentModel) -> None:
    rows = model.probabilities(["how much does the hospital cost", "he beats me every day"])
    assert [model.intents[row.argmax()] for row in rows] == ["health_cost", "gbv"]
    assert rows.sum(axis=1) == pytest.approx([1.0, 1.0])


def test_the_trained_model_survives_pickling(model: LexicalIntentModel) -> None:
    again = pickle.loads(pickle.dumps(model))
    assert again.intents == model.intents
    assert again.probabilities(["salam"]) == pytest.approx(model.probabilities(["salam"]))


def test_the_blend_is_surer_where_both_agree_and_unsure_where_they_disagree() -> None:
    diet = {"gbv": 0.9, "health_cost": 0.08, "greet": 0.02}
    agree = blend(diet, {"gbv": 0.6, "health_cost": 0.3, "greet": 0.1}, diet_weight=0.3)
    disagree = blend(diet, {"gbv": 0.2, "health_cost": 0.7, "greet": 0.1}, diet_weight=0.3)
    assert agree[0][0] == "gbv" and agree[0][1] > 0.6
    assert disagree[0][0] == "health_cost" and disagree[0][1] < 0.9
    for ranking in (agree, disagree):
        assert sum(c for _, c in ranking) == pytest.approx(1.0)
        assert [c for _, c in ranking] == sorted((c for _, c in ranking), reverse=True)


def test_an_intent_diet_did_not_rank_needs_the_linear_model_to_be_far_surer() -> None:
    # DIET ranks only its ten likeliest; the rest count as UNRANKED, not as nothing.
    ranking = dict(blend({"gbv": 0.95, "greet": 0.05}, {"gbv": 0.3, "emergency": 0.5,
                                                         "greet": 0.2}, diet_weight=0.3))
    assert ranking["emergency"] > 0
    assert max(ranking, key=ranking.__getitem__) == "gbv"
    assert UNRANKED < 0.01


def test_blending_only_diet_gives_diets_ranking_back() -> None:
    ranking = blend({"gbv": 0.7, "greet": 0.3}, {"gbv": 0.1, "greet": 0.9}, diet_weight=1.0)
    assert ranking[0] == ("gbv", pytest.approx(0.7))


def _message(text: str, ranking: list[tuple[str, float]]) -> Message:
    intents = [{"name": n, "confidence": c} for n, c in ranking]
    return Message(data={TEXT: text, INTENT: intents[0], INTENT_RANKING_KEY: intents})


def test_the_component_replaces_diets_intent_and_ranking_with_the_blend(
        model: LexicalIntentModel) -> None:
    component = LexicalBlend(LexicalBlend.get_default_config(), None, None, model)  # type: ignore[arg-type]
    # DIET split between two topics: the n-grams of a cost question decide.
    split = _message("combien coute le medecin", [("gbv", 0.5), ("health_cost", 0.45),
                                                  ("greet", 0.05)])
    # DIET and the linear model agree: the intent stays.
    agreed = _message("salam", [("greet", 0.98), ("gbv", 0.01), ("health_cost", 0.01)])
    empty = _message(" ", [("greet", 0.6), ("gbv", 0.4)])
    component.process([split, agreed, empty])
    assert split.get(INTENT)["name"] == "health_cost"
    assert agreed.get(INTENT)["name"] == "greet"
    assert agreed.get(INTENT)["confidence"] > 0.9
    assert split.get(INTENT) == split.get(INTENT_RANKING_KEY)[0]
    assert len(split.get(INTENT_RANKING_KEY)) <= LexicalBlend.RANKING_LENGTH
    # A message without words keeps DIET's ranking: there are no n-grams to weigh.
    assert empty.get(INTENT) == {"name": "greet", "confidence": 0.6}


def test_without_a_trained_model_diets_ranking_stands() -> None:
    component = LexicalBlend(LexicalBlend.get_default_config(), None, None)  # type: ignore[arg-type]
    message = _message("hello", [("greet", 0.8), ("gbv", 0.2)])
    component.process([message])
    assert message.get(INTENT) == {"name": "greet", "confidence": 0.8}
