"""The dashboard's pages: each takes the app state and the request's context.

Access (session, role, CSRF) is checked before a handler runs (`app.guarded`); the handlers
read figures through `bot.dashboard.figures` and broadcasts through the broadcast service, and
write what staff did to the audit log.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.analytics.definitions import DIMENSIONS
from bot.analytics.report import ReportError, build_report, parse_by, parse_day
from bot.broadcasts.service import (
    COUNTRIES,
    Audience,
    BroadcastError,
    Draft,
    Template,
)
from bot.dashboard import figures
from bot.dashboard.accounts import LIFETIME, AccountError, LoginBlocked
from bot.dashboard.app import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Context,
    Dashboard,
    interface_language,
    period_of,
    presets,
    read_form,
)
from bot.dashboard.charts import Bar, bar_chart, line_chart
from bot.dashboard.i18n import label, translate
from bot.settings import SUPPORTED_LANGUAGES
from bot.subscriptions import CHANNELS, TOPICS


def _today(dashboard: Dashboard) -> date:
    return dashboard.accounts.clock().date()


def _safe_next(target: str | None) -> str:
    """Return a local path to go to after login (never another site)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/overview"


# -- login and logout ----------------------------------------------------------------------------


def login_page(dashboard: Dashboard) -> Callable[[Request], Awaitable[Response]]:
    """Return the login endpoint: the form (GET) and the check (POST), rate-limited."""

    async def endpoint(request: Request) -> Response:
        context = Context(request, interface_language(request))
        next_path = _safe_next(request.query_params.get("next"))
        if request.method == "GET":
            return _login_form(dashboard, context, next_path)
        form = await read_form(request)
        cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        supplied = (form or {}).get("csrf_token", [""])[0]
        if form is None or not cookie or not hmac.compare_digest(cookie.encode(),
                                                                 supplied.encode()):
            return dashboard.error(context, 403, "csrf_failed")
        context.form = form
        client = request.client.host if request.client else "unknown"
        try:
            session = await run_in_threadpool(dashboard.accounts.login, context.value("name"),
                                              context.value("password"), client)
        except LoginBlocked:
            return _login_form(dashboard, context, next_path, "login_blocked", 429)
        if session is None:
            return _login_form(dashboard, context, next_path, "login_failed", 401)
        response = RedirectResponse(_safe_next(context.value("next")), status_code=303)
        dashboard.set_cookie(request, response, SESSION_COOKIE, dashboard.sign(session.token),
                             max_age=int(LIFETIME.total_seconds()))
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
        return response

    return endpoint


def _login_form(dashboard: Dashboard, context: Context, next_path: str,
                problem: str | None = None, status: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = dashboard.render(context, "login.html", status=status, login_csrf=token,
                                next_path=next_path, problem=problem,
                                name=context.value("name"))
    dashboard.set_cookie(context.request, response, LOGIN_CSRF_COOKIE, token, max_age=3600,
                         samesite="strict")
    return response


async def logout(dashboard: Dashboard, context: Context) -> Response:
    """End the session."""
    assert context.session is not None
    await run_in_threadpool(dashboard.accounts.logout, context.session.token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- figures -------------------------------------------------------------------------------------


async def overview(dashboard: Dashboard, context: Context) -> Response:
    """People sensitized against the target, interactions over time and by each dimension."""
    today = _today(dashboard)
    period = period_of(context.request, today)
    threshold = dashboard.settings.analytics_suppression_threshold

    def gather() -> dict[str, Any]:
        data = figures.overview(dashboard.engine, period.start, period.end, threshold)
        target = dashboard.accounts.target("people_sensitized")
        progress = None
        if target is not None:
            progress = figures.people_sensitized(dashboard.engine, target.start,
                                                 min(target.end, today), threshold)
        return {"data": data, "target": target, "progress": progress}

    found = await run_in_threadpool(gather)
    data: figures.Overview = found["data"]
    language = context.language
    charts = {}
    for dimension in DIMENSIONS:
        rows = data.by[dimension].rows
        bars = [Bar(label(language, dimension, str(row[dimension])), row["interactions"])
                for row in rows]
        charts[dimension] = bar_chart(bars, translate(language, f"by_{dimension}"))
    series = data.series
    points = [None if isinstance(v, str) else float(v)
              for v in series.values("all", "interactions")]
    over_time = line_chart(series.labels, {translate(language, "interactions"): points},
                           translate(language, "interactions_over_time"))
    percent = None
    progress = found["progress"]
    if found["target"] is not None and not isinstance(progress, str) and progress is not None:
        percent = 100.0 * progress / found["target"].value
    return dashboard.render(
        context, "overview.html", period=period, presets=presets(today), data=data,
        charts=charts, over_time=over_time, series=series, target=found["target"],
        progress=progress, percent=percent, threshold=threshold)


async def set_target(dashboard: Dashboard, context: Context) -> Response:
    """Record the target of people sensitized (admins)."""
    try:
        start = parse_day(context.value("start"), "start")
        end = parse_day(context.value("end"), "end")
        if not context.value("value").isdigit():
            raise AccountError("a target is a positive whole number")
        await run_in_threadpool(dashboard.accounts.set_target, "people_sensitized", start, end,
                                int(context.value("value")), context.actor)
    except (ReportError, AccountError) as error:
        return dashboard.render(context, "message.html", status=400, message=str(error))
    return RedirectResponse("/overview", status_code=303)


async def unanswered(dashboard: Dashboard, context: Context) -> Response:
    """Unanswered rate by topic and by language, and over time per language."""
    today = _today(dashboard)
    period = period_of(context.request, today)
    threshold = dashboard.settings.analytics_suppression_threshold

    def gather() -> dict[str, Any]:
        return {
            "topic": build_report(dashboard.engine, period.start, period.end, ("topic",),
                                  threshold),
            "language": build_report(dashboard.engine, period.start, period.end,
                                     ("language",), threshold),
            "series": figures.series(dashboard.engine, period.start, period.end, threshold,
                                     by="language"),
        }

    found = await run_in_threadpool(gather)
    language = context.language
    tables = {}
    charts = {}
    for dimension in ("topic", "language"):
        report = found[dimension]
        rows = [{"label": label(language, dimension, str(row[dimension])),
                 "interactions": row["interactions"],
                 "unanswered": row["unanswered_questions"],
                 "rate": figures.rate(row["unanswered_questions"], row["interactions"])}
                for row in report.rows
                # Topics with no interaction (a broadcast's) have no rate to show.
                if row["interactions"] != 0]
        rows.sort(key=lambda row: -(row["rate"] or 0))
        tables[dimension] = rows
        charts[dimension] = bar_chart(
            [Bar(row["label"], row["rate"] if row["rate"] is not None else "—")
             for row in rows], translate(language, "fallback_rate"), percent=True)
    series: figures.Series = found["series"]
    lines = {label(language, "language", group): series.rates(group) for group in series.groups}
    over_time = line_chart(series.labels, lines,
                           translate(language, "fallback_rate_by_language"), percent=True)
    total = found["topic"].total
    return dashboard.render(
        context, "unanswered.html", period=period, presets=presets(today), tables=tables,
        charts=charts, over_time=over_time, series=series, total=total,
        total_rate=figures.rate(total["unanswered_questions"], total["interactions"]),
        threshold=threshold)


def _report_request(dashboard: Dashboard, context: Context) -> tuple[Any, tuple[str, ...]]:
    period = period_of(context.request, _today(dashboard))
    chosen = context.request.query_params.getlist("by")
    by = parse_by(",".join(name for name in DIMENSIONS if name in chosen))
    return period, by


async def indicators(dashboard: Dashboard, context: Context) -> Response:
    """The figures of `migrant-bot report indicators`, as a table with a CSV link."""
    period, by = _report_request(dashboard, context)
    threshold = dashboard.settings.analytics_suppression_threshold
    report = await run_in_threadpool(build_report, dashboard.engine, period.start, period.end,
                                     by, threshold)
    csv_query = urlencode([("from", period.start.isoformat()), ("to", period.end.isoformat()),
                           *(("by", name) for name in by)])
    return dashboard.render(context, "indicators.html", period=period,
                            presets=presets(_today(dashboard)), report=report, by=by,
                            csv_query=csv_query, threshold=threshold)


async def indicators_csv(dashboard: Dashboard, context: Context) -> Response:
    """The indicators as the CLI's CSV, as a download."""
    period, by = _report_request(dashboard, context)
    threshold = dashboard.settings.analytics_suppression_threshold
    report = await run_in_threadpool(build_report, dashboard.engine, period.start, period.end,
                                     by, threshold)
    name = f"indicators-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return Response(report.to_csv(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})


async def audit(dashboard: Dashboard, context: Context) -> Response:
    """The audit log, newest first (admins)."""
    entries = await run_in_threadpool(dashboard.accounts.audit_log, 500)
    return dashboard.render(context, "audit.html", entries=entries)


# -- broadcasts ----------------------------------------------------------------------------------


def _service(dashboard: Dashboard, context: Context) -> tuple[Any, Response | None]:
    if dashboard.broadcasts is None:
        return None, dashboard.render(context, "message.html", status=503,
                                      message=translate(context.language,
                                                        "broadcasts_unavailable"))
    return dashboard.broadcasts, None


async def broadcast_list(dashboard: Dashboard, context: Context) -> Response:
    """Every broadcast, newest first, with its delivery counts."""
    service, problem = _service(dashboard, context)
    if problem:
        return problem
    statuses = await run_in_threadpool(service.list, 100)
    return dashboard.render(context, "broadcasts.html", statuses=statuses)


def _form_values(context: Context) -> dict[str, Any]:
    return {
        "name": context.value("name"),
        "topic": context.value("topic", "general"),
        "texts": {lang: context.value(f"text_{lang}") for lang in SUPPORTED_LANGUAGES},
        "countries": context.form.get("country", []),
        "languages": context.form.get("language", []),
        "channels": context.form.get("channel", []),
        "topics": context.form.get("audience_topic", []),
        "sids": {lang: context.value(f"template_sid_{lang}") for lang in SUPPORTED_LANGUAGES},
        "variables": {lang: context.value(f"template_vars_{lang}")
                      for lang in SUPPORTED_LANGUAGES},
        "scheduled_at": context.value("scheduled_at"),
    }


def _render_form(dashboard: Dashboard, context: Context, values: dict[str, Any],
                 problem: str | None = None, status: int = 200) -> Response:
    return dashboard.render(context, "broadcast_new.html", status=status, values=values,
                            problem=problem, languages=SUPPORTED_LANGUAGES,
                            countries=COUNTRIES, channels=CHANNELS, topics=TOPICS)


async def broadcast_form(dashboard: Dashboard, context: Context) -> Response:
    """The form of a new broadcast."""
    _, problem = _service(dashboard, context)
    if problem:
        return problem
    return _render_form(dashboard, context, _form_values(context))


def _draft(values: dict[str, Any], by: str) -> Draft:
    """Return the broadcast service's Draft of the form; ValueError says what is wrong."""
    templates = {}
    for lang, sid in values["sids"].items():
        if not sid.strip():
            continue
        variables = {}
        for line in values["variables"][lang].splitlines():
            if line.strip():
                name, sep, value = line.partition("=")
                if not sep:
                    raise ValueError(f"template variables for {lang}: write one name=value "
                                     "per line")
                variables[name.strip()] = value.strip()
        templates[lang] = Template(content_sid=sid.strip(), variables=variables)
    scheduled_at = None
    if values["scheduled_at"].strip():
        try:
            scheduled_at = datetime.fromisoformat(values["scheduled_at"].strip())
        except ValueError:
            raise ValueError("the sending time must look like 2026-01-31T14:00") from None
    return Draft(
        name=values["name"].strip(), topic=values["topic"],
        texts={lang: text.strip() for lang, text in values["texts"].items() if text.strip()},
        audience=Audience(countries=tuple(values["countries"]),
                          languages=tuple(values["languages"]),
                          channels=tuple(values["channels"]), topics=tuple(values["topics"])),
        templates=templates, scheduled_at=scheduled_at, created_by=by)


async def broadcast_create(dashboard: Dashboard, context: Context) -> Response:
    """Create a broadcast from the form, then show its preview."""
    service, problem = _service(dashboard, context)
    if problem:
        return problem
    values = _form_values(context)
    try:
        draft = _draft(values, context.actor)
        broadcast_id = await run_in_threadpool(service.create, draft)
    except (BroadcastError, ValueError) as error:
        return _render_form(dashboard, context, values, str(error), 400)
    await run_in_threadpool(dashboard.accounts.audit, context.actor, "broadcast created",
                            f"broadcast {broadcast_id}", draft.name[:200])
    return RedirectResponse(f"/broadcasts/{broadcast_id}", status_code=303)


async def broadcast_detail(dashboard: Dashboard, context: Context,
                           problem: str | None = None, status_code: int = 200) -> Response:
    """A broadcast's status and preview, with the send and cancel buttons."""
    service, unavailable = _service(dashboard, context)
    if unavailable:
        return unavailable
    broadcast_id = int(context.request.path_params["broadcast_id"])
    try:
        status = await run_in_threadpool(service.status, broadcast_id)
        preview = await run_in_threadpool(service.preview, broadcast_id)
    except BroadcastError:
        return dashboard.error(context, 404, "not_found")
    return dashboard.render(context, "broadcast.html", status=status_code, broadcast=status,
                            preview=preview, problem=problem)


async def _act(dashboard: Dashboard, context: Context, action: str) -> Response:
    service, unavailable = _service(dashboard, context)
    if unavailable:
        return unavailable
    broadcast_id = int(context.request.path_params["broadcast_id"])
    method = service.queue if action == "queued" else service.cancel
    try:
        await run_in_threadpool(method, broadcast_id, context.actor)
    except BroadcastError as error:
        return await broadcast_detail(dashboard, context, str(error), 400)
    await run_in_threadpool(dashboard.accounts.audit, context.actor, f"broadcast {action}",
                            f"broadcast {broadcast_id}", "")
    return RedirectResponse(f"/broadcasts/{broadcast_id}", status_code=303)


async def broadcast_send(dashboard: Dashboard, context: Context) -> Response:
    """Queue a broadcast: the worker sends it."""
    return await _act(dashboard, context, "queued")


async def broadcast_cancel(dashboard: Dashboard, context: Context) -> Response:
    """Cancel a broadcast: what is not sent yet is not sent."""
    return await _act(dashboard, context, "cancelled")
