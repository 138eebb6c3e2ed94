"""Anonymous analytics: per-turn events by person key, and the indicators staff report.

Modules: `definitions` (the indicators, in one place), `person` (keyed person keys), `spool`
and `recorder` (writing off the reply path, surviving an unreachable database), `service`
(what the actions call), `retention` (rolling old events into counts without person keys),
`suppression` and `report` (`migrant-bot report indicators`). The schema is migrated with
Alembic (`bot.migrations`). This package never imports a channel and never sees a raw
identifier: it receives conversation ids, which it turns into person keys at once.
"""
