"""The subscription store: the address is the one identifier kept, and it is kept encrypted."""

from __future__ import annotations

import sqlite3

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.settings import Settings, SettingsError
from bot.subscriptions import SubscriptionError, SubscriptionStore
from tests.broadcasts.conftest import add_subscriber


def test_the_address_is_stored_encrypted_and_read_back(
        subscribers: SubscriptionStore, database_url: str) -> None:
    person, address = add_subscriber(subscribers, "sms", "ar")
    raw = sqlite3.connect(database_url.removeprefix("sqlite:///")).execute(
        "SELECT person, address FROM subscriptions").fetchall()
    assert len(raw) == 1 and raw[0][0] == person
    assert address not in raw[0][1] and address.lstrip("+") not in raw[0][1]
    assert subscribers.addresses([person]) == {person: address}
    found = subscribers.get(person)
    assert found is not None and found.address == address
    assert address not in repr(found)


def test_the_same_number_twice_does_not_look_alike_in_the_table(
        subscribers: SubscriptionStore) -> None:
    first, address = add_subscriber(subscribers, "sms", "fr")
    subscribers.subscribe("sms-other", "sms", address, "fr", "Tunisia", ["general"])
    with subscribers.engine.connect() as connection:
        tokens = set(connection.execute(text("SELECT address FROM subscriptions")).scalars())
    assert len(tokens) == 2


def test_subscribing_again_adds_topics_and_refreshes_the_language(
        subscribers: SubscriptionStore) -> None:
    person, address = add_subscriber(subscribers, "telegram", "en", topics=("srhr",))
    topics = subscribers.subscribe(person, "telegram", address, "fr", "Egypt", ["vaccination"])
    assert topics == ("srhr", "vaccination")
    found = subscribers.get(person)
    assert found is not None and (found.language, found.country) == ("fr", "Egypt")


def test_removing_deletes_the_address(subscribers: SubscriptionStore) -> None:
    person, _ = add_subscriber(subscribers, "whatsapp", "es")
    assert subscribers.remove(person) is True
    assert subscribers.get(person) is None and subscribers.count() == 0
    assert subscribers.remove(person) is False


def test_audience_filters_by_country_language_channel_and_topic(
        subscribers: SubscriptionStore) -> None:
    morocco_fr, _ = add_subscriber(subscribers, "telegram", "fr", "Morocco", ("general",))
    add_subscriber(subscribers, "telegram", "fr", "Tunisia", ("general",))
    add_subscriber(subscribers, "sms", "fr", "Morocco", ("general",))
    add_subscriber(subscribers, "telegram", "ar", "Morocco", ("general",))
    add_subscriber(subscribers, "telegram", "fr", "Morocco", ("srhr",))
    chosen = list(subscribers.audience(countries=["Morocco"], languages=["fr"],
                                       channels=["telegram"], topics=["general"]))
    assert [s.person for s in chosen] == [morocco_fr]
    assert chosen[0].address == ""  # not decrypted unless asked
    assert len(list(subscribers.audience())) == 5


def test_unknown_topics_and_channels_are_refused(subscribers: SubscriptionStore) -> None:
    with pytest.raises(SubscriptionError):
        subscribers.subscribe("p", "telegram", "1", "en", None, ["weather"])
    with pytest.raises(SubscriptionError):
        subscribers.subscribe("p", "fax", "1", "en", None, ["general"])


def test_another_key_cannot_read_the_addresses(engine: Engine,
                                               subscribers: SubscriptionStore) -> None:
    person, _ = add_subscriber(subscribers, "sms", "en")
    other = SubscriptionStore(engine, Fernet.generate_key())
    with pytest.raises(SubscriptionError, match="SUBSCRIBER_KEY"):
        other.addresses([person])


def test_a_malformed_key_stops_start_up_without_showing_it() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"SUBSCRIBER_KEY": "not-a-key-but-secret"})
    assert "SUBSCRIBER_KEY" in str(caught.value)
    assert "not-a-key-but-secret" not in str(caught.value)


def test_broadcast_rates_and_prices_are_validated() -> None:
    settings = Settings.from_env({"BROADCAST_SMS_MPS": "1", "BROADCAST_TELEGRAM_RATE": "0"})
    assert settings.broadcast_rates == {"telegram": float("inf"), "sms": 1.0, "whatsapp": 20.0}
    for name, value in (("BROADCAST_SMS_MPS", "fast"), ("BROADCAST_TELEGRAM_RATE", "-1"),
                        ("BROADCAST_SMS_SEGMENT_PRICE", "cheap"), ("BROADCAST_CURRENCY", "$")):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({name: value})
