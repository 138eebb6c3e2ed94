"""Custom Rasa 3.6 NLU components.

* `FoldingTokenizer`: whitespace tokens, folded (no case, accents, Arabic diacritics, hamza or
  digit variants), so "hôpital" and "hopital", "مستشفى" and "مستشفي" share features.
* `GazetteerEntityExtractor`: the `country` (cities map to their country) and `language`
  entities, from the names in `content/places.yml` and `content/languages.yml`.
* `LanguageIdentifier`: adds `language`, `language_confidence`, `language_method` and
  `language_decisive` to the parse result (see `bot.language`).
* `LexicalBlend`: a linear model over word and character n-grams (`bot.nlu.lexical`) as a
  second opinion beside DIET; the intent and ranking become their blend.
* `DomainGate`: an out-of-domain score beside DIET (`bot.nlu.domain`): a topic DIET picked for
  a message with no sign of being about health or protection becomes `out_of_scope`, or, when
  unsure, and always for a sensitive topic, a numbered question (`nlu_fallback`).
* `NumberedReplyClassifier`: a message that is only a number ("2", "٢") has no topic of its
  own; it gets the `choice` entity and the `nlu_fallback` intent, and the dialogue resolves it
  against the last numbered question. A message without letters or digits (empty, emoji) is a
  fallback too.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_RANKING_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.content import cached_content
from bot.content.gazetteer import Gazetteer
from bot.language import get_detector
from bot.nlu.domain import (
    CONVERSATION_INTENTS,
    OUT_OF_SCOPE,
    PROTECTION_INTENTS,
    GroupedDomainModel,
    Verdict,
)
from bot.nlu.domain import SETTINGS as GATE_SETTINGS
from bot.nlu.examples import read_examples
from bot.nlu.lexical import LexicalIntentModel, blend
from bot.nlu.risk import danger_topics, danger_words
from bot.paths import OFFTOPIC_DIR
from bot.settings import get_settings
from bot.text import fold, parse_choice_number, token_spans

NLU_FALLBACK = "nlu_fallback"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class FoldingTokenizer(WhitespaceTokenizer):
    """Whitespace tokenizer whose tokens are folded for matching."""

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """Return the whitespace tokens of `attribute`, folded."""
        return [
            Token(fold(token.text), token.start, token.end, token.data, fold(token.lemma))
            for token in super().tokenize(message, attribute)
        ]


class _UntrainedComponent(GraphComponent):
    """A component that learns nothing from training data and is built from its config."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> _UntrainedComponent:
        """Create the component from its config."""
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Leave training data as it is."""
        return training_data


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class GazetteerEntityExtractor(_UntrainedComponent, EntityExtractorMixin):
    """Extract `country` and `language` entities from known names."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Return the default config: content from CONTENT_DIR (the repository's content/)."""
        return {"content_dir": None}

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        # Read at load time, not stored in the model: place names are content NGOs edit.
        content_dir = config.get("content_dir") or str(get_settings().content_dir)
        self._gazetteer = Gazetteer(cached_content(content_dir))

    def process(self, messages: list[Message]) -> list[Message]:
        """Add the mentions of each message to its entities."""
        for message in messages:
            text = message.get(TEXT) or ""
            spans = token_spans(text)
            found = []
            for mention in self._gazetteer.find(text):
                start = spans[mention.token_start][0]
                end = spans[mention.token_end - 1][1]
                found.append(
                    {
                        ENTITY_ATTRIBUTE_TYPE: mention.entity,
                        ENTITY_ATTRIBUTE_VALUE: mention.value,
                        ENTITY_ATTRIBUTE_START: start,
                        ENTITY_ATTRIBUTE_END: end,
                        "text": text[start:end],
                        EXTRACTOR: self.__class__.__name__,
                    }
                )
            if found:
                message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageIdentifier(_UntrainedComponent):
    """Add the language the text alone shows to the parse result."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Return the default config: lingua, restricted to the supported languages."""
        return {"backend": "lingua"}

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self._detector = get_detector(config["backend"])

    def process(self, messages: list[Message]) -> list[Message]:
        """Set `language`, `language_confidence`, `language_method`, `language_decisive`."""
        for message in messages:
            detection = self._detector.detect(message.get(TEXT) or "")
            message.set("language", detection.code, add_to_output=True)
            message.set("language_confidence", detection.confidence, add_to_output=True)
            message.set("language_method", detection.method, add_to_output=True)
            message.set("language_decisive", detection.decisive, add_to_output=True)
        return messages


class _PickledModelComponent(GraphComponent):
    """A trained component whose model is one pickle (`FILE`) in Rasa's model storage."""

    FILE = "model.pkl"

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 model: Any = None) -> None:
        self.config = config
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> _PickledModelComponent:
        """Create the component untrained."""
        return cls(config, model_storage, resource)

    def _persist(self, model: Any) -> Resource:
        """Keep `model` as the trained model and write it to the model storage."""
        self._model = model
        with self._model_storage.write_to(self._resource) as directory:
            (directory / self.FILE).write_bytes(pickle.dumps(model))
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> _PickledModelComponent:
        """Load the trained model (only ever from a model this project trained)."""
        with model_storage.read_from(resource) as directory:
            model = pickle.loads((directory / cls.FILE).read_bytes())
        return cls(config, model_storage, resource, model)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LexicalBlend(_PickledModelComponent):
    """Blend DIET's intent ranking with a linear model's (see `bot.nlu.lexical`).

    Runs after DIETClassifier and before FallbackClassifier, so that the fallback and the
    domain gate judge the blended confidence.
    """

    FILE = "lexical_intents.pkl"
    RANKING_LENGTH = 10
    _model: LexicalIntentModel | None

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Return DIET's share of the blend (its exponent in the product), the blend's
        `sharpness` (see `bot.nlu.lexical.blend`) and the linear model's inverse
        regularisation `c`."""
        return {"diet_weight": 0.3, "sharpness": 2.0, "c": 4.0, "random_seed": 42}

    def train(self, training_data: TrainingData) -> Resource:
        """Learn the intents from the training examples, as DIET does, and persist the model."""
        examples = [(m.get(TEXT), m.get(INTENT)) for m in training_data.intent_examples
                    if m.get(TEXT) and m.get(INTENT)]
        model = LexicalIntentModel(c=self.config["c"], seed=self.config["random_seed"])
        return self._persist(model.fit([t for t, _ in examples], [i for _, i in examples]))

    def process(self, messages: list[Message]) -> list[Message]:
        """Replace DIET's intent and ranking with the blend."""
        if self._model is None:
            return messages
        ranked = [m for m in messages
                  if (m.get(TEXT) or "").strip() and m.get(INTENT_RANKING_KEY)]
        if not ranked:
            return messages
        rows = self._model.probabilities([m.get(TEXT) for m in ranked])
        for message, row in zip(ranked, rows, strict=True):
            diet = {r["name"]: float(r.get("confidence") or 0)
                    for r in message.get(INTENT_RANKING_KEY)}
            lexical = dict(zip(self._model.intents, map(float, row), strict=True))
            ranking = [{"name": name, "confidence": round(confidence, 6)} for name, confidence
                       in blend(diet, lexical, self.config["diet_weight"],
                                self.config["sharpness"])]
            ranking = ranking[:self.RANKING_LENGTH]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages


# A protection topic this likely, behind another topic, makes the message a question.
PROTECTION_DOUBT_CONFIDENCE = 0.15
# The least confidence of a topic the fallback offers as a numbered choice
# (bot.actions.fallback.MIN_SUGGESTION_CONFIDENCE): a protection topic offered for a word of
# danger is given it.
OFFERED_CONFIDENCE = 0.05


def _entry(ranking: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """Return the ranking's entry for `name`, or one of no confidence when it holds none."""
    return next((r for r in ranking if r.get("name") == name), {"name": name, "confidence": 0.0})


def _protection_doubt(text: str, ranking: list[dict[str, Any]],
                      explained: dict[str, frozenset[str]] | None = None,
                      ) -> dict[str, Any] | None:
    """Return the protection intent to offer when the ranking's first topic is another one.

    That is the likeliest protection intent of the ranking when it reaches
    `PROTECTION_DOUBT_CONFIDENCE`, or, whatever its confidence, when the message holds a word of
    danger ("kaydrbni" read as a question about confidentiality): the topic the word points to
    (`bot.nlu.risk.DANGER_TOPICS`), else the likeliest protection intent. A word of danger
    that training examples of the first topic hold too (`explained`: "emergency" in
    "emergency contraception") raises no doubt of its own. A message taken for small talk
    (`out_of_scope`) is asked about only for a word of danger that points to a topic ("sa7bi
    kaymout"), and one taken for another protection topic only for a word that points to an
    emergency ("khoya ghadi ymout" taken for trafficking).
    """
    top = ranking[0]["name"]
    if top in CONVERSATION_INTENTS:
        return None
    candidate = next((r for r in ranking if r.get("name") in PROTECTION_INTENTS), None)
    if candidate is not None and top not in PROTECTION_INTENTS and top != OUT_OF_SCOPE and float(
            candidate.get("confidence") or 0) >= PROTECTION_DOUBT_CONFIDENCE:
        return candidate
    unexplained = [w for w in danger_words(text) if top not in (explained or {}).get(w, ())]
    if not unexplained:
        return None
    pointed = danger_topics(unexplained)
    if top in PROTECTION_INTENTS:
        # Another protection topic is answered as it is, but for an emergency behind it.
        if "emergency" in pointed and top not in pointed:
            return _entry(ranking, "emergency")
        return None
    if pointed:
        return _entry(ranking, pointed[0])
    # Small talk, for all the ranking knows, holding a word of danger that points to no topic
    # ("hit", "dead"): answered as small talk.
    return candidate if top != OUT_OF_SCOPE else None


def _offer_danger(text: str, ranking: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the ranking of a message that will be asked about, with the topic its words of
    danger point to first ("khoya ghadi ymout" read as trafficking or deleting data): the
    choices always include it, as at least `OFFERED_CONFIDENCE`."""
    pointed = danger_topics(danger_words(text))
    if not pointed or ranking[0].get("name") in pointed:
        return ranking
    offered = _entry(ranking, pointed[0])
    offered = {**offered, "confidence": max(float(offered.get("confidence") or 0),
                                            OFFERED_CONFIDENCE)}
    return [offered, *(r for r in ranking if r.get("name") != pointed[0])]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class DomainGate(_PickledModelComponent):
    """Reject, or ask about, topics given to messages that are not about the domain.

    Runs after `FallbackClassifier`: it judges the likeliest intent of the ranking (DIET's,
    blended with the linear model's by `LexicalBlend`) even when that was marked a fallback,
    so off-topic chat the ranking was unsure about is answered as off topic instead
    of "Did you mean ...?". Adds `domain` (`score`, `verdict`) to the parse result.
    """

    FILE = "domain_gate.pkl"
    _model: GroupedDomainModel | None

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Return the shares of topic examples asked about and rejected, and the shares below
        which a topic also needs the ranking's `confirm_confidence` and a protection topic its
        `protection_confirm_confidence` (see bot.nlu.domain).

        `offtopic_dir` (default `bot/offtopic/`) holds the real everyday chat the gate learns as
        off topic beside the `out_of_scope` examples; DIET never sees it.
        """
        return {"ask_share": 0.03, "reject_share": 0.01, "protection_reject_share": 0.002,
                "confirm_share": 0.15, "confirm_confidence": 0.9,
                "protection_confirm_share": 0.25, "protection_confirm_confidence": 0.99,
                "offtopic_dir": None, "language_backend": "lingua"}

    def train(self, training_data: TrainingData) -> Resource:
        """Learn the domain from the intent examples and the everyday chat, and persist it."""
        examples = [(m.get(TEXT), m.get(INTENT)) for m in training_data.intent_examples
                    if m.get(TEXT) and m.get(INTENT)]
        chat = Path(self.config["offtopic_dir"] or OFFTOPIC_DIR)
        examples += [(text, OUT_OF_SCOPE) for path in sorted(chat.glob("*/*.yml"))
                     for text, _ in read_examples(path)]
        detector = get_detector(self.config["language_backend"])
        return self._persist(GroupedDomainModel(
            **{key: self.config[key] for key in GATE_SETTINGS}
        ).fit([t for t, _ in examples], [i for _, i in examples],
              [detector.detect(t).code for t, _ in examples]))

    def process(self, messages: list[Message]) -> list[Message]:
        """Judge each message's likeliest intent; see the class docstring."""
        if self._model is None:
            return messages
        for message in messages:
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or []
                       if r.get("name") != NLU_FALLBACK]
            text = message.get(TEXT) or ""
            if not ranking or not text.strip():
                continue
            top = ranking[0]["name"]
            verdict = self._model.verdict(text, top, message.get("language"),
                                          float(ranking[0].get("confidence") or 0))
            protection = _protection_doubt(text, ranking,
                                           getattr(self._model, "explained", None))
            if verdict.action == "keep" and protection is not None:
                # Protection first: unsure between a protection topic and another, ask with
                # both as numbered choices rather than answer the other one.
                # Offered even when DIET gave it little weight (a word of danger decided).
                verdict = Verdict(verdict.score, "ask")
                offered = {**protection, "confidence": max(
                    float(protection.get("confidence") or 0), OFFERED_CONFIDENCE)}
                ranking = [ranking[0], offered,
                           *(r for r in ranking[1:] if r is not protection)]
            message.set("domain", {"score": round(verdict.score, 4),
                                   "verdict": verdict.action}, add_to_output=True)
            if verdict.action == "reject":
                rejected = {"name": OUT_OF_SCOPE, "confidence": round(1 - verdict.score, 4)}
                others = [r for r in ranking if r["name"] != OUT_OF_SCOPE]
                message.set(INTENT, rejected, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [rejected, *others], add_to_output=True)
            elif verdict.action == "ask" or (message.get(INTENT) or {}).get(
                    "name") == NLU_FALLBACK:
                # Asked about, by the gate or by the fallback threshold before it.
                confidence = (verdict.score if verdict.action == "ask" else float(
                    (message.get(INTENT) or {}).get("confidence") or 0))
                fallback = {"name": NLU_FALLBACK, "confidence": round(confidence, 4)}
                message.set(INTENT, fallback, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [fallback, *_offer_danger(text, ranking)],
                            add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class NumberedReplyClassifier(_UntrainedComponent):
    """Mark bare numbers and messages without words for the dialogue to resolve."""

    def process(self, messages: list[Message]) -> list[Message]:
        """Replace the intent of a bare number or a wordless message with nlu_fallback."""
        for message in messages:
            text = message.get(TEXT) or ""
            number = parse_choice_number(text)
            if number is None and any(ch.isalnum() for ch in text):
                continue
            if number is not None:
                entity = {
                    ENTITY_ATTRIBUTE_TYPE: "choice",
                    ENTITY_ATTRIBUTE_VALUE: str(number),
                    ENTITY_ATTRIBUTE_START: 0,
                    ENTITY_ATTRIBUTE_END: len(text),
                    EXTRACTOR: self.__class__.__name__,
                }
                message.set(ENTITIES, message.get(ENTITIES, []) + [entity], add_to_output=True)
            fallback = {"name": NLU_FALLBACK, "confidence": 1.0}
            ranking = [
                r for r in message.get(INTENT_RANKING_KEY) or [] if r["name"] != NLU_FALLBACK
            ]
            message.set(INTENT, fallback, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [fallback, *ranking], add_to_output=True)
        return messages
