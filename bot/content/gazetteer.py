"""Find the countries, cities and language names a message mentions.

People write "je suis a Casa", "ana f lmghrib", "بالمغرب", "en Tánger", "fi masr": matching
works on folded tokens (no case, accents, Arabic diacritics or hamza forms) and tries Arabic
words with and without their attached prefixes (و ف ب ل ك, then ال). Names of several words
("le caire", "الدار البيضاء") match as token sequences.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.content.model import Content
from bot.text import arabic_variants, tokens

MAX_NAME_TOKENS = 4


@dataclass(frozen=True)
class Mention:
    """One mention of a place or language in a message."""

    entity: str  # "country" or "language"
    value: str  # English country name or ISO 639-1 code
    token_start: int
    token_end: int
    city: str | None = None


class Gazetteer:
    """Match country, city and language names in text."""

    def __init__(self, content: Content) -> None:
        self._names: dict[tuple[str, ...], tuple[str, str, str | None]] = {}
        for country in content.countries.values():
            for alias in (*country.aliases, *country.names.values()):
                self._add(alias, ("country", country.name, None))
            for city, aliases in country.cities.items():
                for alias in (city, *aliases):
                    self._add(alias, ("country", country.name, city))
        for code, aliases in content.language_aliases.items():
            for alias in aliases:
                self._add(alias, ("language", code, None))

    def _add(self, alias: str, target: tuple[str, str, str | None]) -> None:
        words = tokens(alias)
        if not words:
            return
        self._names.setdefault(tuple(words), target)
        # Arabic names are also written without the article: "المغرب" / "مغرب".
        stripped = arabic_variants(words[0])[-1]
        if stripped != words[0]:
            self._names.setdefault((stripped, *words[1:]), target)

    def find(self, text: str) -> list[Mention]:
        """Return the mentions in `text`, longest names first, without overlaps."""
        words = tokens(text)
        mentions: list[Mention] = []
        index = 0
        while index < len(words):
            match = self._match_at(words, index)
            if match is None:
                index += 1
                continue
            length, (entity, value, city) = match
            mentions.append(Mention(entity, value, index, index + length, city))
            index += length
        return mentions

    def _match_at(self, words: list[str], index: int
                  ) -> tuple[int, tuple[str, str, str | None]] | None:
        for length in range(min(MAX_NAME_TOKENS, len(words) - index), 0, -1):
            rest = tuple(words[index + 1:index + length])
            for first in arabic_variants(words[index]):
                target = self._names.get((first, *rest))
                if target is not None:
                    return length, target
        return None

    def countries(self, text: str) -> list[str]:
        """Return the countries mentioned in `text`, in order, without repeats."""
        return list(dict.fromkeys(m.value for m in self.find(text) if m.entity == "country"))

    def languages(self, text: str) -> list[str]:
        """Return the language codes mentioned in `text`, in order, without repeats."""
        return list(dict.fromkeys(m.value for m in self.find(text) if m.entity == "language"))
