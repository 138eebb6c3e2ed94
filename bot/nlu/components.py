"""Custom Rasa 3.6 NLU components.

* `FoldingTokenizer`: whitespace tokens, folded (no case, accents, Arabic diacritics, hamza or
  digit variants), so "hôpital" and "hopital", "مستشفى" and "مستشفي" share features.
* `GazetteerEntityExtractor`: the `country` (cities map to their country) and `language`
  entities, from the names in `content/places.yml` and `content/languages.yml`.
* `LanguageIdentifier`: adds `language`, `language_confidence`, `language_method` and
  `language_decisive` to the parse result (see `bot.language`).
* `NumberedReplyClassifier`: a message that is only a number ("2", "٢") has no topic of its
  own; it gets the `choice` entity and the `nlu_fallback` intent, and the dialogue resolves it
  against the last numbered question. A message without letters or digits (empty, emoji) is a
  fallback too.
"""

from __future__ import annotations

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
