"""Local fake vendor servers (Telegram Bot API, Twilio REST API) for end-to-end tests."""
