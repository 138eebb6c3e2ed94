"""DIET members trained with their own seeds, whose intent confidences are averaged.

One DIET model's answers depend on its random seed more than on most changes to its data:
retrained with seed 7 instead of 42 on the same examples, macro-F1 on real help-page questions
moved by up to 0.24 and on the held-out set by up to 4 points. Averaging the intent
distributions of a few members trained with different seeds (a seed ensemble) keeps what they
agree on and damps what one seed happened to learn.

`AveragedDIETClassifier` is a `DIETClassifier` that, in `process`, adds its own full intent
distribution to those of the members before it in the pipeline and sets `intent` and
`intent_ranking` from their mean. Listed two or three times with different `random_seed`s, the
last one leaves the ensemble's answer for `FallbackClassifier` and `DomainGate`; listed once, it
answers as DIET does. Each member trains on the same features, so the ensemble costs training
time and memory in proportion to its members, not its answers' shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.tensorflow.constants import RANKING_LENGTH

# Each member's full distribution, kept on the message for the members after it; never part of
# the parse result.
MEMBER_SCORES = "diet_member_scores"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class AveragedDIETClassifier(DIETClassifier):
    """A DIET classifier whose intent confidences are averaged with the members before it."""

    def process(self, messages: list[Message]) -> list[Message]:
        """Set each message's intent and ranking from the mean of the members' distributions."""
        for message in messages:
            members = [*(message.get(MEMBER_SCORES) or []), self._distribution(message)]
            message.set(MEMBER_SCORES, members)
            ranking = average_ranking(members, self.component_config[RANKING_LENGTH])
            message.set(INTENT, ranking[0] if ranking else {"name": None, "confidence": 0.0},
                        add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def _distribution(self, message: Message) -> dict[str, float]:
        """Return this member's confidence for every intent (empty for a featureless text)."""
        out = self._predict(message)
        if out is None:
            return {}
        scores = np.asarray(out["i_scores"]).flatten()
        return {self.index_label_id_mapping[i]: float(s) for i, s in enumerate(scores)}


def average_ranking(members: list[dict[str, float]], length: int) -> list[dict[str, Any]]:
    """Rank the intents by their mean confidence over the members that gave a distribution.

    `length` keeps the top ones (0 keeps all); the confidences are not renormalised, so they
    stay comparable with one DIET's.
    """
    given = [m for m in members if m]
    if not given:
        return []
    names = sorted({name for member in given for name in member})
    mean = {name: sum(m.get(name, 0.0) for m in given) / len(given) for name in names}
    ranked = sorted(mean.items(), key=lambda item: (-item[1], item[0]))
    if length > 0:
        ranked = ranked[:length]
    return [{"name": name, "confidence": confidence} for name, confidence in ranked]
