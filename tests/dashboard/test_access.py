"""Who may see and do what: every route for every role, CSRF on every form, sessions, logins."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.dashboard import schema
from bot.dashboard.accounts import FAILURES_ALLOWED, Accounts
from tests.dashboard.conftest import PASSWORD, ROLES, Clock, csrf_of, login, signed_in

#: GET routes and the least role that may open them.
PAGES = {
    "/overview": "viewer",
    "/unanswered": "viewer",
    "/indicators": "viewer",
    "/indicators.csv": "viewer",
    "/broadcasts": "broadcaster",
    "/broadcasts/new": "broadcaster",
    "/broadcasts/1": "broadcaster",
    "/audit": "admin",
}
#: POST routes, the least role that may use them, and a valid form.
FORMS = {
    "/targets": ("admin", {"value": "500", "start": "2024-01-01", "end": "2024-12-31"}),
    "/broadcasts": ("broadcaster", {"name": "Clinic hours", "topic": "general",
                                    "text_en": "The clinic opens at 9.", "channel": "telegram"}),
    "/broadcasts/1/send": ("broadcaster", {}),
    "/broadcasts/1/cancel": ("broadcaster", {}),
    "/logout": ("viewer", {}),
}
RANK = {"viewer": 0, "broadcaster": 1, "admin": 2}


def make_broadcast(client: TestClient, csrf: str) -> None:
    reply = client.post("/broadcasts", data={**FORMS["/broadcasts"][1], "csrf_token": csrf})
    assert reply.status_code == 303 and reply.headers["location"] == "/broadcasts/1"


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("path", list(PAGES))
def test_each_page_opens_for_its_roles_and_is_refused_with_403_to_the_others(
        client: TestClient, role: str, path: str) -> None:
    csrf = signed_in(client, role)
    if path == "/broadcasts/1" and RANK[role] >= RANK["broadcaster"]:
        make_broadcast(client, csrf)
    reply = client.get(path)
    if RANK[role] >= RANK[PAGES[path]]:
        assert reply.status_code == 200, reply.text
    else:
        assert reply.status_code == 403
        assert "You do not have access to this page." in reply.text


@pytest.mark.parametrize("path", [*PAGES, "/"])
def test_without_a_session_every_page_sends_to_the_login_form(client: TestClient,
                                                              path: str) -> None:
    reply = client.get(path)
    assert reply.status_code == 303
    assert reply.headers["location"].startswith("/login") or path == "/"


@pytest.mark.parametrize("path", list(FORMS))
def test_without_a_session_every_form_is_refused(client: TestClient, path: str) -> None:
    reply = client.post(path, data=FORMS[path][1])
    assert reply.status_code == 403


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("path", list(FORMS))
def test_each_form_is_accepted_from_its_roles_only(client: TestClient, role: str,
                                                   path: str) -> None:
    csrf = signed_in(client, role)
    needed, form = FORMS[path]
    if path.startswith("/broadcasts/1") and RANK[role] >= RANK["broadcaster"]:
        make_broadcast(client, csrf)
    reply = client.post(path, data={**form, "csrf_token": csrf})
    if RANK[role] >= RANK[needed]:
        assert reply.status_code == 303, reply.text
    else:
        assert reply.status_code == 403


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
@pytest.mark.parametrize("path", list(FORMS))
def test_every_form_without_the_sessions_csrf_token_is_refused_and_does_nothing(
        client: TestClient, accounts: Accounts, path: str, token: str | None) -> None:
    csrf = signed_in(client, "admin")
    make_broadcast(client, csrf)
    form = dict(FORMS[path][1])
    if token is not None:
        form["csrf_token"] = token
    before = len(accounts.audit_log())
    reply = client.post(path, data=form)
    assert reply.status_code == 403
    assert "did not come from this dashboard" in reply.text
    assert len(accounts.audit_log()) == before
    assert client.get("/overview").status_code == 200  # still signed in (logout refused too)


def test_a_token_of_another_session_is_refused(app, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app, follow_redirects=False) as one, \
            TestClient(app, follow_redirects=False) as two:
        signed_in(one, "admin")
        other = signed_in(two, "admin")
        reply = one.post("/targets", data={**FORMS["/targets"][1], "csrf_token": other})
        assert reply.status_code == 403
        assert accounts.target("people_sensitized") is None


def test_a_form_that_is_not_urlencoded_is_refused(client: TestClient) -> None:
    csrf = signed_in(client, "admin")
    reply = client.post("/targets", json={**FORMS["/targets"][1], "csrf_token": csrf})
    assert reply.status_code == 403


def test_the_login_form_needs_its_own_csrf_token(client: TestClient) -> None:
    client.get("/login")
    reply = client.post("/login", data={"name": "ada", "password": PASSWORD,
                                        "csrf_token": "forged"})
    assert reply.status_code == 403
    assert client.get("/overview").status_code == 303


def test_the_session_cookie_is_httponly_samesite_and_expires(client: TestClient) -> None:
    reply = login(client, "ada")
    cookie = reply.headers["set-cookie"]
    assert cookie.startswith("mb_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=43200" in cookie
    assert "Secure" not in cookie  # plain http on loopback


def test_the_session_cookie_is_secure_over_https(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="https://dashboard.example.org",
                    follow_redirects=False) as client:
        reply = login(client, "ada")
        assert "Secure" in reply.headers["set-cookie"]


def test_a_forged_or_tampered_session_cookie_is_not_a_session(client: TestClient) -> None:
    login(client, "ada")
    value = client.cookies["mb_session"]
    token, _, mac = value.rpartition(".")
    client.cookies.clear()
    client.cookies.set("mb_session", token + "." + "0" * len(mac))
    assert client.get("/overview").status_code == 303
    client.cookies.clear()
    client.cookies.set("mb_session", "x" * 43 + "." + mac)
    assert client.get("/overview").status_code == 303


def test_a_session_ends_after_8_idle_hours(client: TestClient, clock: Clock) -> None:
    signed_in(client, "viewer")
    clock.advance(timedelta(hours=3))
    assert client.get("/overview").status_code == 200
    clock.advance(timedelta(hours=7, minutes=59))
    assert client.get("/overview").status_code == 200  # 11 hours in, used in between
    signed_in(client, "viewer")
    clock.advance(timedelta(hours=8, minutes=1))
    assert client.get("/overview").status_code == 303


def test_a_session_ends_after_12_hours_even_when_used(client: TestClient, clock: Clock) -> None:
    signed_in(client, "viewer")
    for _ in range(6):
        clock.advance(timedelta(hours=2))
        assert client.get("/unanswered").status_code == 200
    clock.advance(timedelta(minutes=1))
    assert client.get("/unanswered").status_code == 303


def test_logout_ends_the_session_on_the_server(client: TestClient) -> None:
    csrf = signed_in(client, "viewer")
    cookie = client.cookies["mb_session"]
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    client.cookies.clear()
    client.cookies.set("mb_session", cookie)  # a copy of the cookie is no use any more
    assert client.get("/overview").status_code == 303


def test_changing_a_role_or_password_ends_the_accounts_sessions(
        client: TestClient, accounts: Accounts) -> None:
    signed_in(client, "broadcaster")
    accounts.set_role("bruno", "viewer", by="ada")
    assert client.get("/overview").status_code == 303
    signed_in(client, "broadcaster")
    assert client.get("/broadcasts").status_code == 403  # now a viewer
    accounts.reset_password("bruno", "another long password", by="ada")
    assert client.get("/overview").status_code == 303


def test_a_wrong_password_is_refused_with_the_same_message_as_an_unknown_name(
        client: TestClient) -> None:
    wrong = login(client, "ada", "not the password")
    unknown = login(client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong name or password." in wrong.text and "Wrong name or password." in unknown.text
    assert "mb_session" not in client.cookies


def test_logins_are_limited_per_account(app, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app, follow_redirects=False) as client:
        for _ in range(FAILURES_ALLOWED):
            assert login(client, "ada", "wrong password!").status_code == 401
        blocked = login(client, "ada")  # even the right password
        assert blocked.status_code == 429
        assert "Too many failed logins" in blocked.text
    with TestClient(app, follow_redirects=False, client=("192.0.2.7", 40000)) as elsewhere:
        assert login(elsewhere, "ada").status_code == 429  # from any address
        assert login(elsewhere, "vera").status_code == 303  # another account is not blocked
        clock.advance(timedelta(minutes=16))
        assert login(elsewhere, "ada").status_code == 303


def test_logins_are_limited_per_client_address(client: TestClient, clock: Clock) -> None:
    for name in ("u1", "u2", "u3", "u4", "u5"):
        assert login(client, name, "wrong password!").status_code == 401
    assert login(client, "ada").status_code == 429
    clock.advance(timedelta(minutes=16))
    assert login(client, "ada").status_code == 303


def test_failed_logins_are_stored_as_digests_only(client: TestClient, accounts: Accounts) -> None:
    login(client, "ada", "wrong password!")
    with accounts.engine.connect() as connection:
        rows = connection.execute(select(schema.login_failures)).all()
    assert len(rows) == 1
    assert "ada" not in rows[0].account and "testclient" not in rows[0].client


def test_after_login_only_a_local_path_is_followed(client: TestClient) -> None:
    page = client.get("/login?next=https://evil.example/")
    reply = client.post("/login", data={"csrf_token": csrf_of(page.text), "name": "ada",
                                        "password": PASSWORD, "next": "//evil.example/"})
    assert reply.headers["location"] == "/overview"
    client.cookies.clear()
    page = client.get("/login")
    reply = client.post("/login", data={"csrf_token": csrf_of(page.text), "name": "ada",
                                        "password": PASSWORD, "next": "/indicators?by=topic"})
    assert reply.headers["location"] == "/indicators?by=topic"


def test_pages_carry_security_headers_and_are_not_cached(client: TestClient) -> None:
    signed_in(client, "viewer")
    reply = client.get("/overview")
    assert "default-src 'none'" in reply.headers["content-security-policy"]
    assert reply.headers["x-frame-options"] == "DENY"
    assert reply.headers["cache-control"] == "no-store"
    assert client.get("/static/dashboard.css").headers["x-content-type-options"] == "nosniff"


def test_the_audit_log_records_logins_failures_targets_and_broadcasts(
        client: TestClient, accounts: Accounts) -> None:
    login(client, "bruno", "wrong password!")
    csrf = signed_in(client, "admin")
    client.post("/targets", data={**FORMS["/targets"][1], "csrf_token": csrf})
    make_broadcast(client, csrf)
    client.post("/broadcasts/1/send", data={"csrf_token": csrf})
    client.post("/broadcasts/1/cancel", data={"csrf_token": csrf})
    entries = [(e.actor, e.action, e.subject) for e in reversed(accounts.audit_log())]
    assert ("bruno", "login failed", "bruno") in entries
    assert ("ada", "login", "ada") in entries
    assert ("ada", "target set", "people_sensitized") in entries
    assert entries[-3:] == [("ada", "broadcast created", "broadcast 1"),
                            ("ada", "broadcast queued", "broadcast 1"),
                            ("ada", "broadcast cancelled", "broadcast 1")]
    page = client.get("/audit")
    assert "broadcast cancelled" in page.text and "target set" in page.text


def test_the_health_check_needs_no_session_and_says_nothing(client: TestClient) -> None:
    reply = client.get("/healthz")
    assert reply.status_code == 200 and reply.text == "ok"
