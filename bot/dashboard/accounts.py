"""Staff accounts, sessions, failed logins and the audit log.

`Accounts` is the one place that reads and writes the dashboard's tables; the web app and the
`migrant-bot staff` commands both go through it.

* Roles are ordered: a viewer reads figures, a broadcaster also manages broadcasts, an admin also
  sets targets and reads the audit log.
* A session is a random token (256 bits) in a signed cookie; the database keeps its SHA-256 only,
  with the session's CSRF token. It ends after `IDLE` without a request, after `LIFETIME` in any
  case, at logout, and when the account's password, role or existence changes.
* Failed logins are counted per account name and per client address (keyed digests, so the
  table says neither) over `WINDOW`; `FAILURES_ALLOWED` failures of either block further tries
  until the window has passed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine

from bot.dashboard import schema
from bot.dashboard.passwords import (
    check_strength,
    dummy_verify,
    hash_password,
    needs_rehash,
    verify_password,
)

ROLES = ("viewer", "broadcaster", "admin")
IDLE = timedelta(hours=8)
LIFETIME = timedelta(hours=12)
WINDOW = timedelta(minutes=15)
FAILURES_ALLOWED = 5
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-@")


class AccountError(ValueError):
    """An account operation that cannot be done; the message is safe to show."""


def utcnow() -> datetime:
    """Return the current UTC time, naive, as the tables store it."""
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


def normalise_name(name: str) -> str:
    """Return a staff name as stored (lower case); raise AccountError if it is not one."""
    name = name.strip().lower()
    if not 2 <= len(name) <= 64 or not set(name) <= _NAME_CHARS:
        raise AccountError("a staff name is 2-64 characters of a-z, 0-9, '.', '_', '-' and '@'")
    return name


def check_role(role: str) -> str:
    """Return `role` if it is one of ROLES, else raise AccountError."""
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}")
    return role


def role_allows(role: str, needed: str) -> bool:
    """Return True if `role` has at least the rights of `needed`."""
    return ROLES.index(role) >= ROLES.index(needed)


@dataclass(frozen=True)
class Staff:
    """A staff account as the dashboard sees it (no password hash)."""

    id: int
    name: str
    role: str
    created_at: datetime


@dataclass(frozen=True)
class Session:
    """A signed-in staff member and the session's CSRF token."""

    staff: Staff
    csrf_token: str
    token: str


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log."""

    at: datetime
    actor: str
    action: str
    subject: str
    detail: str


@dataclass(frozen=True)
class Target:
    """A target the admin set for an indicator over a period."""

    indicator: str
    start: date
    end: date
    value: int
    set_by: str
    set_at: datetime


class LoginBlocked(Exception):
    """Too many failed logins for this account or this client; try again later."""


class Accounts:
    """Staff accounts, sessions, failed logins, targets and the audit log in one database."""

    def __init__(self, engine: Engine, key: bytes, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self._key = key
        self.clock = clock

    def _digest(self, kind: str, value: str) -> str:
        return hmac.new(self._key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()

    # -- accounts ---------------------------------------------------------------------------

    def add(self, name: str, role: str, password: str, by: str) -> Staff:
        """Create an account; raise AccountError if the name is taken or invalid."""
        name = normalise_name(name)
        check_role(role)
        check_strength(password)
        now = self.clock()
        with self.engine.begin() as connection:
            if connection.execute(select(schema.staff.c.id)
                                  .where(schema.staff.c.name == name)).first():
                raise AccountError(f"there is already a staff account named {name}")
            connection.execute(insert(schema.staff).values(
                name=name, role=role, password_hash=hash_password(password), created_at=now,
                password_changed_at=now))
            self._audit(connection, by, "account added", name, f"role {role}")
        staff = self.get(name)
        assert staff is not None
        return staff

    def get(self, name: str) -> Staff | None:
        """Return the account named `name`, or None."""
        with self.engine.connect() as connection:
            row = connection.execute(select(schema.staff)
                                     .where(schema.staff.c.name == name.strip().lower())).first()
        return _staff(row) if row else None

    def list(self) -> list[Staff]:
        """Return every account, by name."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(schema.staff).order_by(schema.staff.c.name))
            return [_staff(row) for row in rows]

    def remove(self, name: str, by: str) -> None:
        """Delete an account and end its sessions."""
        staff = self._existing(name)
        with self.engine.begin() as connection:
            connection.execute(delete(schema.sessions)
                               .where(schema.sessions.c.staff_id == staff.id))
            connection.execute(delete(schema.staff).where(schema.staff.c.id == staff.id))
            self._audit(connection, by, "account removed", staff.name, "")

    def set_role(self, name: str, role: str, by: str) -> Staff:
        """Change an account's role and end its sessions (they carry the old rights)."""
        staff = self._existing(name)
        check_role(role)
        with self.engine.begin() as connection:
            connection.execute(update(schema.staff).where(schema.staff.c.id == staff.id)
                               .values(role=role))
            connection.execute(delete(schema.sessions)
                               .where(schema.sessions.c.staff_id == staff.id))
            self._audit(connection, by, "role changed", staff.name, f"{staff.role} -> {role}")
        return Staff(staff.id, staff.name, role, staff.created_at)

    def reset_password(self, name: str, password: str, by: str) -> None:
        """Set a new password and end the account's sessions."""
        staff = self._existing(name)
        check_strength(password)
        with self.engine.begin() as connection:
            connection.execute(update(schema.staff).where(schema.staff.c.id == staff.id)
                               .values(password_hash=hash_password(password),
                                       password_changed_at=self.clock()))
            connection.execute(delete(schema.sessions)
                               .where(schema.sessions.c.staff_id == staff.id))
            self._audit(connection, by, "password reset", staff.name, "")

    def _existing(self, name: str) -> Staff:
        staff = self.get(name)
        if staff is None:
            raise AccountError(f"no staff account named {name.strip().lower()}")
        return staff

    # -- logins and sessions ----------------------------------------------------------------

    def login(self, name: str, password: str, client: str) -> Session | None:
        """Check a password and open a session; None if wrong; LoginBlocked if rate-limited.

        The limit is checked before the password, so a blocked attacker learns nothing more.
        """
        name = name.strip().lower()[:64]
        now = self.clock()
        account_digest = self._digest("account", name)
        client_digest = self._digest("client", client)
        failures = schema.login_failures
        with self.engine.begin() as connection:
            connection.execute(delete(failures).where(failures.c.at < now - WINDOW))
            recent = failures.c.at >= now - WINDOW
            by_account = connection.execute(select(func.count()).select_from(failures).where(
                recent, failures.c.account == account_digest)).scalar_one()
            by_client = connection.execute(select(func.count()).select_from(failures).where(
                recent, failures.c.client == client_digest)).scalar_one()
            if by_account >= FAILURES_ALLOWED or by_client >= FAILURES_ALLOWED:
                raise LoginBlocked()
            row = connection.execute(select(schema.staff)
                                     .where(schema.staff.c.name == name)).first()
        if row is None:
            dummy_verify(password)
            ok = False
        else:
            ok = verify_password(row.password_hash, password)
        with self.engine.begin() as connection:
            if not ok:
                connection.execute(insert(failures).values(at=now, account=account_digest,
                                                           client=client_digest))
                self._audit(connection, row.name if row else "(unknown account)",
                            "login failed", row.name if row else "", "")
                return None
            connection.execute(delete(failures).where(failures.c.account == account_digest))
            if needs_rehash(row.password_hash):
                connection.execute(update(schema.staff).where(schema.staff.c.id == row.id)
                                   .values(password_hash=hash_password(password)))
            token = secrets.token_urlsafe(32)
            csrf = secrets.token_urlsafe(32)
            connection.execute(insert(schema.sessions).values(
                token_hash=hashlib.sha256(token.encode()).hexdigest(), staff_id=row.id,
                csrf_token=csrf, created_at=now, last_seen=now))
            self._audit(connection, row.name, "login", row.name, "")
        return Session(_staff(row), csrf, token)

    def session(self, token: str) -> Session | None:
        """Return the live session of `token` and note it was used; None if ended or unknown."""
        now = self.clock()
        token_hash = hashlib.sha256(token.encode()).hexdigest()
        sessions = schema.sessions
        with self.engine.begin() as connection:
            staff = schema.staff
            row = connection.execute(
                select(sessions.c.csrf_token, sessions.c.created_at, sessions.c.last_seen,
                       staff.c.id, staff.c.name, staff.c.role,
                       staff.c.created_at.label("staff_created_at"))
                .join(staff, staff.c.id == sessions.c.staff_id)
                .where(sessions.c.token_hash == token_hash)).first()
            if row is None:
                return None
            if now - row.last_seen > IDLE or now - row.created_at > LIFETIME:
                connection.execute(delete(sessions).where(sessions.c.token_hash == token_hash))
                return None
            if now - row.last_seen > timedelta(minutes=1):
                connection.execute(update(sessions).where(sessions.c.token_hash == token_hash)
                                   .values(last_seen=now))
        return Session(Staff(row.id, row.name, row.role, row.staff_created_at), row.csrf_token,
                       token)

    def logout(self, token: str) -> None:
        """End the session of `token`."""
        token_hash = hashlib.sha256(token.encode()).hexdigest()
        with self.engine.begin() as connection:
            connection.execute(delete(schema.sessions)
                               .where(schema.sessions.c.token_hash == token_hash))

    # -- targets and the audit log ----------------------------------------------------------

    def set_target(self, indicator: str, start: date, end: date, value: int, by: str) -> None:
        """Record the target of `indicator` over [start, end] (the newest one counts)."""
        if end < start:
            raise AccountError("the target's period ends before it starts")
        if value <= 0:
            raise AccountError("a target is a positive number")
        with self.engine.begin() as connection:
            connection.execute(insert(schema.targets).values(
                indicator=indicator, start=start, end=end, value=value, set_by=by,
                set_at=self.clock()))
            self._audit(connection, by, "target set", indicator,
                        f"{value} from {start.isoformat()} to {end.isoformat()}")

    def target(self, indicator: str) -> Target | None:
        """Return the newest target set for `indicator`, or None."""
        targets = schema.targets
        with self.engine.connect() as connection:
            row = connection.execute(select(targets).where(targets.c.indicator == indicator)
                                     .order_by(targets.c.id.desc()).limit(1)).first()
        if row is None:
            return None
        return Target(row.indicator, row.start, row.end, row.value, row.set_by, row.set_at)

    def audit(self, actor: str, action: str, subject: str = "", detail: str = "") -> None:
        """Add a line to the audit log."""
        with self.engine.begin() as connection:
            self._audit(connection, actor, action, subject, detail)

    def _audit(self, connection, actor: str, action: str, subject: str,  # type: ignore[no-untyped-def]
               detail: str) -> None:
        connection.execute(insert(schema.audit).values(
            at=self.clock(), actor=actor[:64], action=action[:32], subject=subject[:128],
            detail=detail[:255]))

    def audit_log(self, limit: int = 200) -> list[AuditEntry]:
        """Return the newest lines of the audit log, newest first."""
        audit = schema.audit
        with self.engine.connect() as connection:
            rows = connection.execute(select(audit).order_by(audit.c.id.desc()).limit(limit))
            return [AuditEntry(r.at, r.actor, r.action, r.subject, r.detail) for r in rows]


def _staff(row) -> Staff:  # type: ignore[no-untyped-def]
    return Staff(row.id, row.name, row.role, row.created_at)
