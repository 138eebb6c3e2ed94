"""The staff dashboard: a server-rendered Starlette app (`create_app`).

Every page but the login form needs a session; each route names the least role it needs. Every
POST carries the session's CSRF token (the login form a double-submit token), checked before
anything else happens. Pages are HTML and inline SVG with one local stylesheet: no script, no
font or library from a CDN, so the dashboard works offline in a field office and stays light on
a slow connection.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.analytics.definitions import DIMENSIONS, INDICATOR_KEYS, INDICATORS
from bot.analytics.person import installation_key
from bot.analytics.report import ReportError, parse_day
from bot.dashboard.accounts import Accounts, Session, role_allows, utcnow
from bot.dashboard.charts import format_cell
from bot.dashboard.i18n import INTERFACE_LANGUAGES, LANGUAGE_NAMES, label, translate
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.broadcasts.service import BroadcastService

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "mb_session"
LOGIN_CSRF_COOKIE = "mb_login_csrf"
LANGUAGE_COOKIE = "mb_lang"
# Four texts of 4,096 Arabic characters, percent-encoded, with room for the rest of the form.
MAX_FORM_BYTES = 256 * 1024
DEFAULT_PERIOD_DAYS = 30
SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
     b"frame-ancestors 'none'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """Add the security headers to every response (pages, files and errors alike)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


@dataclass
class Context:
    """What a page handler receives: who is signed in, the interface language, the form."""

    request: Request
    language: str
    session: Session | None = None
    form: dict[str, list[str]] = field(default_factory=dict)

    def value(self, name: str, default: str = "") -> str:
        """Return one form field's value."""
        return (self.form.get(name) or [default])[0]

    @property
    def actor(self) -> str:
        """Return the signed-in staff member's name."""
        assert self.session is not None
        return self.session.staff.name


Handler = Callable[[Context], Awaitable[Response]]


class Dashboard:
    """The app's state: settings, database, accounts, broadcast service, templates."""

    def __init__(self, settings: Settings, engine: Engine, broadcasts: BroadcastService | None,
                 accounts: Accounts, key: bytes) -> None:
        self.settings = settings
        self.engine = engine
        self.broadcasts = broadcasts
        self.accounts = accounts
        self._key = key
        self.templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                                     autoescape=select_autoescape(["html"]))
        self.templates.globals.update(format_cell=format_cell, role_allows=role_allows,
                                      LANGUAGE_NAMES=LANGUAGE_NAMES, DIMENSIONS=DIMENSIONS,
                                      INDICATOR_KEYS=INDICATOR_KEYS, INDICATORS=INDICATORS,
                                      INTERFACE_LANGUAGES=INTERFACE_LANGUAGES)

    # -- cookies ------------------------------------------------------------------------------

    def sign(self, token: str) -> str:
        """Return the cookie value of a session token."""
        mac = hmac.new(self._key, f"session:{token}".encode(), hashlib.sha256).hexdigest()
        return f"{token}.{mac}"

    def _unsign(self, value: str) -> str | None:
        token, _, mac = value.rpartition(".")
        expected = hmac.new(self._key, f"session:{token}".encode(), hashlib.sha256).hexdigest()
        return token if token and hmac.compare_digest(mac, expected) else None

    def set_cookie(self, request: Request, response: Response, name: str, value: str,
                   max_age: int | None, samesite: str = "lax") -> None:
        """Set an HttpOnly cookie, Secure when the request came over https."""
        response.set_cookie(name, value, max_age=max_age, path="/", httponly=True,
                            samesite=samesite,  # type: ignore[arg-type]
                            secure=request.url.scheme == "https")

    async def session_of(self, request: Request) -> Session | None:
        """Return the request's live session, or None."""
        raw = request.cookies.get(SESSION_COOKIE)
        token = self._unsign(raw) if raw else None
        if token is None:
            return None
        return await run_in_threadpool(self.accounts.session, token)

    # -- rendering ----------------------------------------------------------------------------

    def render(self, context: Context, template: str, status: int = 200,
               **values: Any) -> HTMLResponse:
        """Render a page in the interface language."""
        language = context.language
        page = self.templates.get_template(template).render(
            t=lambda key, **kw: translate(language, key).format(**kw) if kw
            else translate(language, key),
            label=lambda dimension, value: label(language, dimension, value),
            lang=language, session=context.session, request=context.request,
            csrf=context.session.csrf_token if context.session else "",
            path=context.request.url.path, language_links=_language_links(context), **values)
        response = HTMLResponse(page, status_code=status,
                                headers={"Cache-Control": "no-store"})
        if context.request.query_params.get("lang") in INTERFACE_LANGUAGES:
            self.set_cookie(context.request, response, LANGUAGE_COOKIE, language,
                            max_age=365 * 24 * 3600)
        return response

    def error(self, context: Context, status: int, message_key: str) -> HTMLResponse:
        """Render an error page."""
        return self.render(context, "error.html", status=status, status_code=status,
                           message_key=message_key)


def _language_links(context: Context) -> list[tuple[str, str]]:
    """Return (language, this page in it) for each other interface language."""
    request = context.request
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    if request.method != "GET":
        params = []
    return [(code, f"{request.url.path}?{urlencode([*params, ('lang', code)])}")
            for code in INTERFACE_LANGUAGES if code != context.language]


def interface_language(request: Request) -> str:
    """Return en or fr: ?lang=, else the cookie, else the browser's preference, else en."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if candidate in INTERFACE_LANGUAGES:
            return str(candidate)
    accepted = request.headers.get("accept-language", "").lower()
    return "fr" if accepted.startswith("fr") else "en"


async def read_form(request: Request) -> dict[str, list[str]] | None:
    """Return an urlencoded form's fields, or None if it is not one or is too large."""
    if request.headers.get("content-type", "").split(";")[0].strip() != \
            "application/x-www-form-urlencoded":
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return None


def dashboard_key(settings: Settings) -> bytes:
    """Return the key that signs session cookies: DASHBOARD_SECRET, else the key file's."""
    return settings.dashboard_secret or installation_key(settings.dashboard_key_file)


def create_app(settings: Settings, engine: Engine, broadcasts: BroadcastService | None = None, *,
               clock: Callable[[], datetime] = utcnow) -> Starlette:
    """Return the dashboard app on `engine` (already at the newest schema).

    Args:
        settings: the installation's settings (suppression threshold, dashboard key).
        engine: the database of the analytics and the dashboard's own tables.
        broadcasts: the broadcast service (`bot.broadcasts.service.BroadcastService`); None
            leaves the broadcast pages saying it is not available.
        clock: returns the current naive UTC time (tests move it to expire sessions).
    """
    key = dashboard_key(settings)
    app_state = Dashboard(settings, engine, broadcasts, Accounts(engine, key, clock), key)
    from bot.dashboard import pages

    routes = [
        Route("/healthz", lambda request: PlainTextResponse("ok")),
        Route("/login", pages.login_page(app_state), methods=["GET", "POST"]),
        Route("/logout", guarded(app_state, "viewer", pages.logout), methods=["POST"]),
        Route("/", lambda request: RedirectResponse("/overview", status_code=303)),
        Route("/overview", guarded(app_state, "viewer", pages.overview)),
        Route("/targets", guarded(app_state, "admin", pages.set_target), methods=["POST"]),
        Route("/unanswered", guarded(app_state, "viewer", pages.unanswered)),
        Route("/indicators", guarded(app_state, "viewer", pages.indicators)),
        Route("/indicators.csv", guarded(app_state, "viewer", pages.indicators_csv)),
        Route("/broadcasts", guarded(app_state, "broadcaster", pages.broadcast_list)),
        Route("/broadcasts", guarded(app_state, "broadcaster", pages.broadcast_create),
              methods=["POST"]),
        Route("/broadcasts/new", guarded(app_state, "broadcaster", pages.broadcast_form)),
        Route("/broadcasts/{broadcast_id:int}",
              guarded(app_state, "broadcaster", pages.broadcast_detail)),
        Route("/broadcasts/{broadcast_id:int}/send",
              guarded(app_state, "broadcaster", pages.broadcast_send), methods=["POST"]),
        Route("/broadcasts/{broadcast_id:int}/cancel",
              guarded(app_state, "broadcaster", pages.broadcast_cancel), methods=["POST"]),
        Route("/audit", guarded(app_state, "admin", pages.audit)),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]

    async def not_found(request: Request, exc: HTTPException) -> Response:
        context = Context(request, interface_language(request))
        if exc.status_code == 405:
            return PlainTextResponse("method not allowed", status_code=405)
        return app_state.error(context, 404, "not_found")

    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
    app.state.dashboard = app_state
    app.add_middleware(SecurityHeaders)
    # Pages are mostly repeated markup: gzip makes them four to six times smaller on a slow link.
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    return app


def guarded(dashboard: Dashboard, role: str,
            handler: Callable[[Dashboard, Context], Awaitable[Response]]
            ) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a page: a session is needed (else to the login form), then `role`, then on a POST a
    urlencoded form with the session's CSRF token."""

    async def endpoint(request: Request) -> Response:
        context = Context(request, interface_language(request))
        context.session = await dashboard.session_of(request)
        if context.session is None:
            if request.method != "GET":
                return dashboard.error(context, 403, "csrf_failed")
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            response = RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)
            if request.cookies.get(SESSION_COOKIE):
                response.delete_cookie(SESSION_COOKIE, path="/")
            return response
        if request.method == "POST":
            form = await read_form(request)
            supplied = (form or {}).get("csrf_token", [""])[0]
            if form is None or not hmac.compare_digest(supplied.encode(),
                                                       context.session.csrf_token.encode()):
                return dashboard.error(context, 403, "csrf_failed")
            context.form = form
        if not role_allows(context.session.staff.role, role):
            return dashboard.error(context, 403, "forbidden")
        return await handler(dashboard, context)

    return endpoint


# -- periods -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """The days a page covers, both included, and any problem with what was asked."""

    start: date
    end: date
    problem: str | None = None

    def query(self, **extra: str) -> str:
        """Return the query string of this period (and `extra`)."""
        return urlencode({"from": self.start.isoformat(), "to": self.end.isoformat(), **extra})


def period_of(request: Request, today: date) -> Period:
    """Return the period in ?from=&to=, the last 30 days when absent or wrong."""
    default = Period(today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), today)
    start_text = request.query_params.get("from")
    end_text = request.query_params.get("to")
    if not start_text and not end_text:
        return default
    try:
        start = parse_day(start_text or "", "from")
        end = parse_day(end_text or "", "to")
    except ReportError as error:
        return Period(default.start, default.end, str(error))
    if end < start:
        return Period(default.start, default.end, "the period ends before it starts")
    if (end - start).days > 3 * 366:
        return Period(default.start, default.end, "a period is at most three years")
    return Period(start, end)


def presets(today: date) -> list[tuple[str, Period]]:
    """Return the period selector's shortcuts."""
    return [("last_7", Period(today - timedelta(days=6), today)),
            ("last_30", Period(today - timedelta(days=29), today)),
            ("last_90", Period(today - timedelta(days=89), today)),
            ("this_year", Period(today.replace(month=1, day=1), today))]

