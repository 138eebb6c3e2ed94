"""The words the assistant says: loading, rendering and checking `content/`.

Pure: imports nothing of Rasa, the channels or the database, so actions, the checker and the
broadcast composer all read content the same way.
"""

from bot.content.model import (
    TOPIC_INTENTS,
    Content,
    ContentError,
    Country,
    Topic,
    cached_content,
    load_content,
)

__all__ = [
    "TOPIC_INTENTS",
    "Content",
    "ContentError",
    "Country",
    "Topic",
    "cached_content",
    "load_content",
]
