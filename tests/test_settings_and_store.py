"""Settings validation, the endpoints Rasa gets, and the store that forgets on restart."""

from __future__ import annotations

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Restarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.server import endpoints_config
from bot.settings import Settings, SettingsError
from bot.tracker_store import ForgetfulInMemoryTrackerStore, forget_before_restart


def test_defaults_need_no_environment() -> None:
    settings = Settings.from_env({})
    assert settings.default_language == "en" and settings.redis_url is None


@pytest.mark.parametrize(
    "env, name",
    [({"DEFAULT_LANGUAGE": "de"}, "DEFAULT_LANGUAGE"),
     ({"REDIS_URL": "http://user:p4ss@host"}, "REDIS_URL"),
     ({"TRACKER_RECORD_EXP": "soon"}, "TRACKER_RECORD_EXP"),
     ({"CONTENT_MAX_AGE_DAYS": "-3"}, "CONTENT_MAX_AGE_DAYS"),
     ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
     ({"CONTENT_DIR": "/nonexistent"}, "CONTENT_DIR")],
)
def test_a_malformed_variable_is_named_without_its_value(env: dict[str, str], name: str) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env(env)
    assert name in str(error.value)
    assert all(value not in str(error.value) for value in env.values())


def test_conversations_stay_in_memory_by_default_and_expire_in_redis() -> None:
    memory = endpoints_config(Settings.from_env({}), None)
    assert memory["tracker_store"] == {"type": "bot.tracker_store.ForgetfulInMemoryTrackerStore"}
    assert memory["action_endpoint"] == {"url": "inprocess://bot.actions"}
    separate = endpoints_config(Settings.from_env({}), 5055)["action_endpoint"]
    assert separate == {"url": "http://127.0.0.1:5055/webhook"}
    redis = endpoints_config(
        Settings.from_env({"REDIS_URL": "redis://cache:6380/2", "TRACKER_RECORD_EXP": "900"}),
        5056)["tracker_store"]
    assert redis["type"] == "bot.tracker_store.ForgetfulRedisTrackerStore"
    assert (redis["url"], redis["port"], redis["db"], redis["record_exp"]) == ("cache", 6380, 2,
                                                                               900)


def _tracker(events: list) -> DialogueStateTracker:
    domain = Domain.from_yaml("""
version: "3.1"
slots:
  country:
    type: text
    mappings: [{type: custom}]
""")
    return DialogueStateTracker.from_events("person", events, slots=domain.slots)


def test_a_restart_drops_every_earlier_message() -> None:
    tracker = _tracker([
        ActionExecuted("action_listen"), UserUttered("I am in Morocco and I was raped"),
        SlotSet("country", "Morocco"), ActionExecuted("action_delete_data"), Restarted(),
        ActionExecuted("action_listen"),
    ])
    kept = forget_before_restart(tracker)
    assert all(not isinstance(e, UserUttered) for e in kept.events)
    assert kept.get_slot("country") is None


async def test_the_in_memory_store_keeps_no_text_after_a_deletion() -> None:
    store = ForgetfulInMemoryTrackerStore(Domain.empty())
    await store.save(_tracker([UserUttered("my secret question"), Restarted()]))
    assert "my secret question" not in store.store["person"]
    await store.save(_tracker([UserUttered("kept until deleted")]))
    assert "kept until deleted" in store.store["person"]
