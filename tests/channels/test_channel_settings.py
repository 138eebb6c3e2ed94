"""Channel configuration: absent means off, half or malformed stops start-up, secrets unseen."""

from __future__ import annotations

import pytest

from bot.pseudonym import pseudonym
from bot.server import credentials_config, describe_channels
from bot.settings import Settings, SettingsError

KEY = "k" * 40
TELEGRAM = {"TELEGRAM_BOT_TOKEN": "123456:" + "A" * 35, "TELEGRAM_WEBHOOK_SECRET": "s3cr3t-token",
            "PSEUDONYM_KEY": KEY}
TWILIO = {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "f" * 32,
          "TWILIO_SMS_FROM": "+15005550006", "PUBLIC_BASE_URL": "https://bot.example.org/",
          "PSEUDONYM_KEY": KEY}


def test_no_channel_variables_means_only_the_local_rest_channel() -> None:
    settings = Settings.from_env({})
    assert settings.channels == ["rest"]
    assert credentials_config(settings) == {"bot.channels.rest.SafeRestInput": {}}


def test_configured_channels_are_enabled_and_described() -> None:
    settings = Settings.from_env({**TELEGRAM, **TWILIO,
                                  "TWILIO_WHATSAPP_FROM": "+14155238886"})
    assert settings.channels == ["rest", "telegram", "twilio-sms", "twilio-whatsapp"]
    assert settings.twilio is not None and settings.twilio.whatsapp_from == "whatsapp:+14155238886"
    assert settings.public_base_url == "https://bot.example.org"
    assert set(credentials_config(settings)) == {
        "bot.channels.rest.SafeRestInput", "bot.channels.telegram.TelegramInput",
        "bot.channels.twilio.TwilioInput"}
    assert "twilio (sms and whatsapp) at /webhooks/twilio/webhook" in describe_channels(settings)
    shown = repr(settings)
    assert TELEGRAM["TELEGRAM_BOT_TOKEN"] not in shown and TWILIO["TWILIO_AUTH_TOKEN"] not in shown
    assert KEY not in shown


@pytest.mark.parametrize(
    "env, name",
    [({**TELEGRAM, "TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN"),
     ({**TELEGRAM, "TELEGRAM_WEBHOOK_SECRET": "has spaces!"}, "TELEGRAM_WEBHOOK_SECRET"),
     ({k: v for k, v in TELEGRAM.items() if k != "TELEGRAM_WEBHOOK_SECRET"},
      "TELEGRAM_WEBHOOK_SECRET"),
     ({**TELEGRAM, "TELEGRAM_API_BASE_URL": "ftp://files"}, "TELEGRAM_API_BASE_URL"),
     ({**TELEGRAM, "PSEUDONYM_KEY": "short-key"}, "PSEUDONYM_KEY"),
     ({k: v for k, v in TELEGRAM.items() if k != "PSEUDONYM_KEY"}, "PSEUDONYM_KEY"),
     ({**TWILIO, "TWILIO_ACCOUNT_SID": "AB123"}, "TWILIO_ACCOUNT_SID"),
     ({**TWILIO, "TWILIO_AUTH_TOKEN": "zz-secret-zz"}, "TWILIO_AUTH_TOKEN"),
     ({**TWILIO, "TWILIO_SMS_FROM": "0612345678"}, "TWILIO_SMS_FROM"),
     ({**TWILIO, "TWILIO_WHATSAPP_FROM": "whatsapp:0612"}, "TWILIO_WHATSAPP_FROM"),
     ({k: v for k, v in TWILIO.items() if k != "TWILIO_SMS_FROM"}, "TWILIO_WHATSAPP_FROM"),
     ({k: v for k, v in TWILIO.items() if k != "PUBLIC_BASE_URL"}, "PUBLIC_BASE_URL"),
     ({**TWILIO, "PUBLIC_BASE_URL": "bot.example.org"}, "PUBLIC_BASE_URL"),
     ({**TWILIO, "SMS_SEGMENT_BUDGET": "40"}, "SMS_SEGMENT_BUDGET"),
     ({"DATABASE_URL": "mysql://user:pw@host/db"}, "DATABASE_URL"),
     ({"DATABASE_URL": "not a url"}, "DATABASE_URL")],
)
def test_a_malformed_or_half_configured_channel_stops_start_up(
    env: dict[str, str], name: str
) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env(env)
    message = str(error.value)
    assert name in message
    secrets = [v for k, v in env.items() if k.endswith(("TOKEN", "KEY", "SECRET", "URL"))]
    assert all(secret not in message for secret in secrets if len(secret) > 6)


def test_pseudonyms_are_keyed_per_channel_and_hide_the_address() -> None:
    number = "+212612345678"
    first = pseudonym(b"k" * 32, "sms", number)
    assert first == pseudonym(b"k" * 32, "sms", number)
    assert first.startswith("sms-") and len(first) == 36
    assert first != pseudonym(b"j" * 32, "sms", number)
    on_whatsapp = pseudonym(b"k" * 32, "whatsapp", number)
    assert first.removeprefix("sms-") != on_whatsapp.removeprefix("wa-")
    assert "212612345678" not in first
