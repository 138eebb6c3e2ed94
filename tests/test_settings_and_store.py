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
    assert memory["tracker_store"] == {"type": "bot.tracker_store.ForgetfulInMemoryTrackerStore",
                                       "inprocess_actions": True}
    assert memory["action_endpoint"] == {"url": "inprocess://bot.actions"}
    separate = endpoints_config(Settings.from_env({}), 5055)["action_endpoint"]
    assert separate == {"url": "http://127.0.0.1:5055/webhook"}
    redis = endpoints_config(
        Settings.from_env({"REDIS_URL": "redis://cache:6380/2", "TRACKER_RECORD_EXP": "900"}),
        5056)["tracker_store"]
    assert redis["type"] == "bot.tracker_store.ForgetfulRedisTrackerStore"
    assert "inprocess_actions" not in redis  # the actions run in the action server
    assert (redis["url"], redis["port"], redis["db"], redis["record_exp"]) == ("cache", 6380, 2,
                                                                               900)
    assert redis["key_prefix"].isalnum(), "Rasa drops a prefix that is not alphanumeric"
    locks = endpoints_config(Settings.from_env({"REDIS_URL": "redis://cache:6380/2"}),
                             None)["lock_store"]
    assert (locks["type"], locks["url"], locks["port"], locks["db"]) == ("redis", "cache", 6380,
                                                                        2)
    assert locks["key_prefix"].isalnum()
    assert "lock_store" not in memory, "one process alone keeps Rasa's in-memory locks"


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


def test_loading_the_store_for_in_process_actions_readies_them_before_any_message() -> None:
    """Rasa loads the tracker store before it serves; the first person then waits for nothing."""
    from rasa.core.tracker_store import TrackerStore
    from rasa.utils.endpoints import EndpointConfig

    from bot import inprocess_actions
    from bot.content import cached_content

    inprocess_actions._executor = None
    cached_content.cache_clear()
    config = endpoints_config(Settings.from_env({}), None)["tracker_store"]
    store = TrackerStore.create(EndpointConfig.from_dict(config), Domain.empty())
    assert inprocess_actions._executor is not None
    assert "action_answer_topic" in inprocess_actions._executor.actions
    assert cached_content.cache_info().currsize == 1
    assert store is not None
