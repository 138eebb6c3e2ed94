"""The staff dashboard: analytics at a glance and broadcast management, in a browser.

`create_app(settings, engine, broadcasts=...)` returns the Starlette app; `migrant-bot dashboard`
runs it with uvicorn, and `serve` starts it too when `DASHBOARD_PORT` is set. It reads figures
through `bot.analytics.report` (suppressed like the CLI's reports) and manages broadcasts
through `bot.broadcasts.service`; it never talks to a messaging vendor.
"""

from bot.dashboard.app import create_app

__all__ = ["create_app"]
