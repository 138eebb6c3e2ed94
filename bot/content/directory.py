"""The referral directory: services per country and city, and the questions asked of it.

`content/directory/<country>.yml` lists the services that are safe for migrants to use in one
country: who runs them, where (a city of `places.yml`, or `national` for a line that answers the
whole country), what they do (the fixed `SERVICE_TYPES`), how to reach them, and the protection
attributes that matter to people on the move (`ATTRIBUTES`: true, false, or left out when the
sources do not say). Every entry carries its `source`, `confidence` and `last_verified`: the date
the information was last known true, as precise as the source gives it ("2020", "2020-04" or
"2020-04-15"), or null when the source has no date.

Pure: imports nothing of Rasa, the channels or the database.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.content.model import ContentError

SERVICE_TYPES: tuple[str, ...] = (
    "primary_care",
    "srhr",
    "gbv",
    "trafficking",
    "child_protection",
    "mental_health",
    "legal",
    "shelter",
)
ATTRIBUTES: tuple[str, ...] = ("serves_undocumented", "no_id_needed", "gbv_safe", "child_friendly")
COSTS: tuple[str, ...] = ("free", "low_fee", "paid", "varies", "unknown")
NATIONAL = "national"
# Days after its source's date when an entry counts as stale: its block then ends with "call
# before you go". Two years, because the public pages the directory is researched from are
# rarely republished sooner, while numbers that old still mostly answer (README, "Referral
# directory"); a deployment that calls every entry itself can set a shorter age.
DIRECTORY_MAX_AGE_DAYS = 730
# Field order of an entry, in the YAML files and the spreadsheet alike.
FIELDS: tuple[str, ...] = (
    "id", "organisation", "city", "services", "phone", "whatsapp", "web", "address", "hours",
    "languages", "cost", "attributes", "note", "source", "source_url", "confidence", "unverified",
    "last_verified",
)
REQUIRED: tuple[str, ...] = ("id", "organisation", "city", "services", "note", "source",
                             "confidence", "last_verified")
_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
_PERIOD = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_SHORT_CODE = re.compile(r"\d{3,5}")
_TOLL_FREE = re.compile(r"0?80\d{6,8}")
HEADER = """\
# Referral directory for {country}: services that are safe for migrants, per city.
# Field by field: README.md, "Referral directory". Every entry comes from
# ../shared/docs/country-facts.md with its source; last_verified is the date of that source
# (null when it has none), never the day somebody copied it. The deploying organisation must call
# every number and set last_verified to the day of the call before going live.
"""


@dataclass(frozen=True)
class Service:
    """One entry of the directory."""

    id: str
    country: str
    organisation: str
    city: str
    services: tuple[str, ...]
    note: dict[str, str]
    source: str
    confidence: str
    last_verified: str | None
    phone: tuple[str, ...] = ()
    whatsapp: tuple[str, ...] = ()
    web: str | None = None
    address: str | None = None
    hours: dict[str, str] = field(default_factory=dict)
    languages: tuple[str, ...] = ()
    cost: str = "unknown"
    attributes: dict[str, bool] = field(default_factory=dict)
    unverified: bool = False
    source_url: str | None = None

    @property
    def is_unverified(self) -> bool:
        """Return True for a low-confidence or explicitly unverified entry."""
        return self.unverified or self.confidence == "low"

    @property
    def verified_on(self) -> dt.date | None:
        """Return the earliest day `last_verified` may mean ("2020-04" is 1 April 2020)."""
        return period_start(self.last_verified) if self.last_verified else None

    def is_stale(self, today: dt.date, max_age_days: int) -> bool:
        """Return True when the last verification is unknown or older than `max_age_days`."""
        verified = self.verified_on
        return verified is None or (today - verified).days > max_age_days

    def to_dict(self) -> dict[str, Any]:
        """Return the entry as the YAML file writes it (fields in `FIELDS` order, empties out)."""
        raw: dict[str, Any] = {
            "id": self.id,
            "organisation": self.organisation,
            "city": self.city,
            "services": list(self.services),
            "phone": list(self.phone),
            "whatsapp": list(self.whatsapp),
            "web": self.web,
            "address": self.address,
            "hours": dict(self.hours),
            "languages": list(self.languages),
            "cost": self.cost,
            "attributes": {k: self.attributes[k] for k in ATTRIBUTES if k in self.attributes},
            "note": dict(self.note),
            "source": self.source,
            "source_url": self.source_url,
            "confidence": self.confidence,
            "unverified": self.unverified,
            "last_verified": self.last_verified,
        }
        optional_empty = {"phone": [], "whatsapp": [], "web": None, "address": None, "hours": {},
                          "languages": [], "cost": "unknown", "attributes": {},
                          "unverified": False, "source_url": None}
        return {k: v for k, v in raw.items()
                if k in REQUIRED or v != optional_empty.get(k, object())}


@dataclass(frozen=True)
class CountryDirectory:
    """The directory of one country."""

    country: str
    calling_code: str
    entries: tuple[Service, ...]
    path: Path | None = None


@dataclass(frozen=True)
class Directory:
    """Every country's directory."""

    countries: dict[str, CountryDirectory] = field(default_factory=dict)

    def entries(self, country: str) -> tuple[Service, ...]:
        """Return `country`'s entries in file order (none for a country without a file)."""
        found = self.countries.get(country)
        return found.entries if found else ()

    def all_entries(self) -> list[Service]:
        """Return every entry of every country."""
        return [e for d in self.countries.values() for e in d.entries]


def period_start(value: str) -> dt.date:
    """Return the first day of "YYYY", "YYYY-MM" or "YYYY-MM-DD"; raise ValueError otherwise."""
    match = _PERIOD.fullmatch(value)
    if not match:
        raise ValueError(f"{value!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = match.groups()
    return dt.date(int(year), int(month or 1), int(day or 1))


def _period(value: Any, where: str) -> str | None:
    if value is None or value == "":
        return None
    text = value.isoformat() if isinstance(value, dt.date) else str(value).strip()
    try:
        period_start(text)
    except ValueError as error:
        raise ContentError(f"{where}: last_verified {error}") from error
    return text


def _strings(value: Any, where: str, name: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise ContentError(f"{where}: {name} must be a list of texts")
    return tuple(str(v).strip() for v in value if str(v).strip())


def _texts(value: Any, where: str, name: str) -> dict[str, str]:
    if value is None or value == {}:
        return {}
    if not isinstance(value, dict):
        raise ContentError(f"{where}: {name} must be a text per language")
    return {str(k): str(v).strip() for k, v in value.items() if v is not None and str(v).strip()}


def _optional_text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


def parse_entry(raw: Any, country: str, where: str) -> Service:
    """Return the entry `raw` of `country`'s directory; raise ContentError on a malformed one.

    Only the shape is checked here; whether a city, service type or phone number is right is
    the checker's business (`check_directory`), so that it can report every problem at once.
    """
    if not isinstance(raw, dict):
        raise ContentError(f"{where}: an entry must be a mapping of fields")
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise ContentError(f"{where}: unknown field(s) {', '.join(unknown)}")
    for name in REQUIRED:
        if raw.get(name) in (None, "", [], {}) and name != "last_verified":
            raise ContentError(f"{where}: {name} is required")
    if "last_verified" not in raw:
        raise ContentError(f"{where}: last_verified is required (null when the source has no "
                           "date)")
    where = f"{where} ({raw['id']})"
    attributes = raw.get("attributes") or {}
    if not isinstance(attributes, dict) or not all(
            isinstance(v, bool) for v in attributes.values()):
        raise ContentError(f"{where}: attributes must map names to true or false")
    unverified = raw.get("unverified", False)
    if not isinstance(unverified, bool):
        raise ContentError(f"{where}: unverified must be true or false")
    return Service(
        id=str(raw["id"]).strip(),
        country=country,
        organisation=str(raw["organisation"]).strip(),
        city=str(raw["city"]).strip(),
        services=_strings(raw.get("services"), where, "services"),
        note=_texts(raw.get("note"), where, "note"),
        source=str(raw["source"]).strip(),
        confidence=str(raw["confidence"]).strip(),
        last_verified=_period(raw.get("last_verified"), where),
        phone=_strings(raw.get("phone"), where, "phone"),
        whatsapp=_strings(raw.get("whatsapp"), where, "whatsapp"),
        web=_optional_text(raw.get("web")),
        address=_optional_text(raw.get("address")),
        hours=_texts(raw.get("hours"), where, "hours"),
        languages=_strings(raw.get("languages"), where, "languages"),
        cost=str(raw.get("cost") or "unknown").strip(),
        attributes={str(k): v for k, v in attributes.items()},
        unverified=unverified,
        source_url=_optional_text(raw.get("source_url")),
    )


def load_country_directory(path: Path) -> CountryDirectory:
    """Read one `content/directory/<country>.yml`."""
    try:
        with path.open(encoding="utf-8") as handle:
            raw = yaml.safe_load(handle) or {}
    except yaml.YAMLError as error:
        raise ContentError(f"{path}: not valid YAML ({error})") from error
    if not isinstance(raw, dict) or not raw.get("country"):
        raise ContentError(f"{path}: expected 'country', 'calling_code' and 'entries'")
    country = str(raw["country"])
    entries = raw.get("entries") or []
    if not isinstance(entries, list):
        raise ContentError(f"{path}: entries must be a list")
    return CountryDirectory(
        country=country,
        calling_code=str(raw.get("calling_code") or ""),
        entries=tuple(parse_entry(e, country, f"{path}: entry {i}")
                      for i, e in enumerate(entries, 1)),
        path=path,
    )


def load_directory(root: Path | str) -> Directory:
    """Read every file of `root/directory/`; a content folder without one has no directory."""
    folder = Path(root) / "directory"
    countries: dict[str, CountryDirectory] = {}
    for path in sorted(folder.glob("*.yml")) if folder.is_dir() else ():
        loaded = load_country_directory(path)
        if loaded.country in countries:
            raise ContentError(f"{path}: a second directory for {loaded.country}")
        countries[loaded.country] = loaded
    return Directory(countries)


def dump_country_directory(directory: CountryDirectory) -> str:
    """Return the YAML text of one country's directory, as the files are written."""
    data = {
        "country": directory.country,
        "calling_code": directory.calling_code,
        "entries": [entry.to_dict() for entry in directory.entries],
    }
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    return HEADER.format(country=directory.country) + body


def phone_problem(number: str, calling_code: str) -> str | None:
    """Return why `number` is not a number people in the country can dial, or None.

    Accepted: E.164 with the country's calling code ("+212661934354"), a national short code
    ("8350", "1899") or a national toll-free number ("0800004747", "80104748").
    """
    if number.startswith("+"):
        if not re.fullmatch(r"\+[1-9]\d{6,14}", number):
            return f"{number!r} is not E.164 (+ then 7 to 15 digits, no spaces)"
        if calling_code and not number.startswith(f"+{calling_code}"):
            return f"{number!r} does not start with the country's code +{calling_code}"
        return None
    if _SHORT_CODE.fullmatch(number) or _TOLL_FREE.fullmatch(number):
        return None
    return (f"{number!r} is neither E.164 (+{calling_code or 'code'}...), a short code nor a "
            "toll-free number")


def find_services(
    directory: Directory,
    country: str,
    *,
    service: str | None = None,
    city: str | None = None,
    attributes: tuple[str, ...] = (),
    today: dt.date | None = None,
    max_age_days: int = DIRECTORY_MAX_AGE_DAYS,
) -> list[Service]:
    """Return `country`'s entries offering `service` with every attribute in `attributes`.

    Ranked: the person's city first, then lines for the whole country, then other cities; within
    each, confirmed before unconfirmed, recently verified before stale, then file order.
    """
    today = today or dt.date.today()
    found = [
        entry for entry in directory.entries(country)
        if (service is None or service in entry.services)
        and all(entry.attributes.get(name) is True for name in attributes)
    ]

    def rank(item: tuple[int, Service]) -> tuple[int, bool, bool, int]:
        index, entry = item
        if city is None:
            place = 0 if entry.city == NATIONAL else 1
        else:
            place = 0 if entry.city == city else 1 if entry.city == NATIONAL else 2
        return place, entry.is_unverified, entry.is_stale(today, max_age_days), index

    return [entry for _, entry in sorted(enumerate(found), key=rank)]


def cities_with(directory: Directory, country: str, service: str | None = None,
                attributes: tuple[str, ...] = ()) -> list[str]:
    """Return the cities (not `national`) where `country` has entries for `service`."""
    return list(dict.fromkeys(
        entry.city for entry in directory.entries(country)
        if entry.city != NATIONAL and (service is None or service in entry.services)
        and all(entry.attributes.get(name) is True for name in attributes)
    ))


# When a city and the whole country have no reachable service of the type asked for, the answer
# gives a national line of the same family instead (a GBV question gets a child or trafficking
# line before nothing), then any national line with a number.
SERVICE_FAMILIES: tuple[tuple[str, ...], ...] = (
    ("primary_care", "srhr", "mental_health"),
    ("gbv", "child_protection", "trafficking", "shelter"),
    ("legal",),
)


@dataclass(frozen=True)
class Referral:
    """What a person asking for a service type in a place is told.

    `entries` are the services to show, each with at least one way to reach it: those of the
    city first, then the lines for the whole country. When the city has none, `elsewhere` is
    True and the answer says so before the lines for the whole country and, only then, the
    services of other cities. When no entry shown has a phone or WhatsApp number (nothing
    reachable at all, or only addresses and web sites), `fallback` holds national lines with a
    number that answer for the same or a related need, so the answer always gives a number when
    the country has one; with `entries` empty the answer says plainly that none is known first.
    """

    entries: tuple[Service, ...]
    elsewhere: bool = False
    fallback: tuple[Service, ...] = ()

    @property
    def reaches_someone(self) -> bool:
        """Return True when the answer gives at least one way to reach somebody."""
        return bool(self.entries or self.fallback)


def is_reachable(entry: Service) -> bool:
    """Return True when the entry gives a phone, WhatsApp, web site or address."""
    return bool(entry.phone or entry.whatsapp or entry.web or entry.address)


def national_lines(directory: Directory, country: str, service: str) -> list[Service]:
    """Return national lines with a number for `service`'s family, then any other one."""
    lines = [e for e in directory.entries(country)
             if e.city == NATIONAL and (e.phone or e.whatsapp) and not e.is_unverified]
    family = next((f for f in SERVICE_FAMILIES if service in f), (service,))

    def rank(item: tuple[int, Service]) -> tuple[int, int]:
        index, entry = item
        if service in entry.services:
            return 0, index
        return (1 if set(entry.services) & set(family) else 2), index

    return [entry for _, entry in sorted(enumerate(lines), key=rank)]


def referral(
    directory: Directory,
    country: str,
    service: str,
    *,
    city: str | None = None,
    attributes: tuple[str, ...] = (),
    today: dt.date | None = None,
    max_age_days: int = DIRECTORY_MAX_AGE_DAYS,
) -> Referral:
    """Return what to tell a person in `city` (or somewhere in `country`) asking for `service`.

    Entries that give no way to reach them are never shown: a name without a number or an
    address cannot be acted on.
    """
    found = [e for e in find_services(directory, country, service=service, city=city,
                                      attributes=attributes, today=today,
                                      max_age_days=max_age_days) if is_reachable(e)]
    elsewhere = False
    if city is not None and city != NATIONAL:
        local = [e for e in found if e.city in (city, NATIONAL)]
        if any(e.city == city for e in local):
            found = local
        else:
            elsewhere = bool(found)
    if any(e.phone or e.whatsapp for e in found):
        return Referral(tuple(found), elsewhere=elsewhere)
    # Nothing to call: an address or a web site alone is hard to act on from a borrowed phone
    # in another city, so the national lines with a number come too.
    lines = [e for e in national_lines(directory, country, service)
             if e not in found and all(e.attributes.get(name) is True for name in attributes)]
    return Referral(tuple(found), elsewhere=elsewhere, fallback=tuple(lines[:2]))
