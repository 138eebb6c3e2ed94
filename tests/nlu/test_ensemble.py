"""The DIET members of the trained model answer together: their distributions are averaged."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.engine.constants import PLACEHOLDER_MESSAGE

from bot.nlu.ensemble import MEMBER_SCORES, AveragedDIETClassifier, average_ranking


def test_the_ranking_is_the_mean_over_the_members_that_answered() -> None:
    members = [{"gbv": 0.6, "greet": 0.3, "hiv_sti": 0.1},
               {"gbv": 0.2, "greet": 0.7, "hiv_sti": 0.1},
               {}]
    ranking = average_ranking(members, 0)
    assert [r["name"] for r in ranking] == ["greet", "gbv", "hiv_sti"]
    assert [r["confidence"] for r in ranking] == pytest.approx([0.5, 0.4, 0.1])
    assert [r["name"] for r in average_ranking(members, 2)] == ["greet", "gbv"]
    # One member alone answers as it would without the others; none gives no ranking.
    assert average_ranking(members[:1], 1) == [{"name": "gbv", "confidence": 0.6}]
    assert average_ranking([{}, {}], 10) == []


def test_an_intent_one_member_lacks_counts_as_zero_for_it() -> None:
    ranking = average_ranking([{"gbv": 0.8, "greet": 0.2}, {"greet": 1.0}], 0)
    assert ranking == [{"name": "greet", "confidence": pytest.approx(0.6)},
                       {"name": "gbv", "confidence": pytest.approx(0.4)}]


@pytest.fixture(scope="module")
def agent(model: Path) -> Agent:
    return Agent.load(str(model))


def _members(agent: Agent) -> list[str]:
    schema = agent.processor.graph_runner._graph_schema
    return [name for name, node in schema.nodes.items()
            if node.uses is AveragedDIETClassifier and name.startswith("run_")]


def test_the_shipped_model_averages_members_trained_with_their_own_seeds(agent: Agent) -> None:
    schema = agent.processor.graph_runner._graph_schema
    members = _members(agent)
    assert len(members) >= 2
    seeds = {schema.nodes[name].config["random_seed"] for name in members}
    assert len(seeds) == len(members)


@pytest.mark.parametrize("text, topic", [
    ("where can I get tested for HIV?", "hiv_sti"),
    ("je suis enceinte, ou aller pour le suivi?", "pregnancy_care"),
])
def test_the_last_member_sets_the_mean_of_every_members_distribution(
        agent: Agent, text: str, topic: str) -> None:
    last = _members(agent)[-1]
    runner = agent.processor.graph_runner
    message = runner.run(inputs={PLACEHOLDER_MESSAGE: [UserMessage(text)]},
                         targets=[last])[last][0]
    scores = message.get(MEMBER_SCORES)
    assert len(scores) == len(_members(agent))
    # The members were trained apart: their confidences differ, and each is a distribution.
    assert scores[0] != scores[1]
    for member in scores:
        assert sum(member.values()) == pytest.approx(1.0, abs=1e-3)
    ranking = message.get("intent_ranking")
    assert ranking == average_ranking(scores, 10)
    assert message.get("intent") == ranking[0]
    assert ranking[0]["name"] == topic
    # The members' own distributions stay off the parse result.
    assert MEMBER_SCORES not in message.as_dict(only_output_properties=True)
