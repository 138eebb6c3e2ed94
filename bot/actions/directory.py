"""Where to go: services from the referral directory after a topic's answer.

"Where can I get condoms in Sfax", "clinic near Rabat", "وين نلقى طبيب نفسي في طرابلس": the
intents stay the topic intents of intents.md; each topic that has services maps to a service type
(`TOPIC_SERVICES`), and the city comes from the message or the conversation. When the country has
services in several cities and the city is not known, the assistant asks for it (numbered, or the
person writes it). It shows at most `PAGE` services in one block, fewer when they would cost more
SMS segments than `DIRECTORY_SEGMENTS` allows (render.referral_page): the city's first, then
the lines for the whole country, and another city's only when the city has none, saying so. Only
services with a phone, WhatsApp, web site or address are shown; when there is none, the answer
says so and gives national lines with a number. A block holding an entry verified longer ago than
the allowed age, or never, ends once with "call before you go".

Choices remember the rest of the state: "dir:<topic>:<city>:<offset>" for the next page,
"city:<City>" (or "city:national") for the answer to the city question, whose topic waits in
`pending_topic` as "dir:<topic>".
"""

from __future__ import annotations

from bot.actions.menu import ask_country, offer_next
from bot.actions.turn import Turn
from bot.content.directory import (
    NATIONAL,
    Referral,
    Service,
    cities_with,
    find_services,
    referral,
)
from bot.content.render import city_name, referral_page

PAGE = 3
MAX_CITY_OPTIONS = 8
PENDING_PREFIX = "dir:"
# The service type each topic refers people to; topics not listed have no directory part.
TOPIC_SERVICES: dict[str, str] = {
    "find_health_service": "primary_care",
    "contraception": "srhr",
    "pregnancy_care": "srhr",
    "hiv_sti": "srhr",
    "gbv": "gbv",
    "trafficking": "trafficking",
    "child_protection": "child_protection",
    "mental_health": "mental_health",
    "care_refused": "legal",
    "health_rights": "primary_care",
    "health_confidentiality": "primary_care",
}
# Topics whose services must also have these protection attributes: someone asking whether
# care is open to them without papers is shown only the places known to be.
TOPIC_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "health_rights": ("serves_undocumented",),
    "health_confidentiality": ("serves_undocumented",),
}


def _services(turn: Turn, topic: str, city: str | None) -> list[Service]:
    directory = turn.content.directory
    if directory is None or turn.country is None or topic not in TOPIC_SERVICES:
        return []
    return find_services(directory, turn.country, service=TOPIC_SERVICES[topic], city=city,
                         attributes=TOPIC_ATTRIBUTES.get(topic, ()), today=turn.today,
                         max_age_days=turn.directory_max_age_days)


def _referral(turn: Turn, topic: str, city: str | None) -> Referral:
    assert turn.country is not None and turn.content.directory is not None
    return referral(turn.content.directory, turn.country, TOPIC_SERVICES[topic], city=city,
                    attributes=TOPIC_ATTRIBUTES.get(topic, ()), today=turn.today,
                    max_age_days=turn.directory_max_age_days)


def has_services(turn: Turn, topic: str) -> bool:
    """Return True when "where" for `topic` can give a way to reach somebody in the country.

    A service listed without any contact does not count, and a country with no service for
    the topic still answers with its national lines when it has some with a number.
    """
    if not _services(turn, topic, None):
        # A question about papers is answered by the topic itself; only places known to serve
        # people without papers are worth adding to it, never a national line instead.
        return topic in TOPIC_SERVICES and topic not in TOPIC_ATTRIBUTES and (
            turn.content.directory is not None and turn.country is not None
            and _referral(turn, topic, None).reaches_someone)
    return _referral(turn, topic, None).reaches_someone


def offer_services(turn: Turn, topic: str) -> bool:
    """Show the services for `topic`, or ask for the city first; False when there are none.

    The caller offers the next steps itself when this returns False.
    """
    if not has_services(turn, topic):
        return False
    assert turn.country is not None and turn.content.directory is not None
    if turn.city is None:
        cities = [c for c in cities_with(turn.content.directory, turn.country,
                                         TOPIC_SERVICES[topic], TOPIC_ATTRIBUTES.get(topic, ()))
                  if not _referral(turn, topic, c).elsewhere]
        if len(cities) > 1:
            ask_city(turn, topic, cities)
            return True
    show_services(turn, topic, turn.city, 0)
    return True


def ask_city(turn: Turn, topic: str, cities: list[str]) -> None:
    """Ask which city the person is in, listing the cities that have services for `topic`."""
    assert turn.country is not None
    known = list(turn.content.countries[turn.country].cities)
    ordered = sorted(cities, key=lambda c: known.index(c) if c in known else len(known))
    options = [(f"city:{city}", city_name(turn.content, turn.country, city, turn.language))
               for city in ordered[:MAX_CITY_OPTIONS]]
    options.append((f"city:{NATIONAL}", turn.message("directory_city_other")))
    turn.pending_topic = f"{PENDING_PREFIX}{topic}"
    turn.ask(turn.message("directory_ask_city"), options)


def show_services(turn: Turn, topic: str, city: str | None, offset: int) -> None:
    """Send one page of services for `topic` near `city`, then the next steps.

    The city's services come first, then the lines for the whole country; another city's only
    when the city has none, and the answer says so. With nothing reachable it says plainly that
    no service is known and gives the national lines that can advise (`referral_text`).
    """
    assert turn.country is not None
    found = _referral(turn, topic, city)
    country_place = turn.content.country_name(turn.country, turn.language)
    place = (city_name(turn.content, turn.country, city, turn.language) if city
             else country_place)
    turn.pending_topic = None
    turn.answered.append(topic)
    if offset and not found.entries[offset:]:
        turn.say(turn.message("directory_none", place=place))
        offer_next(turn, topic)
        return
    shown, text = referral_page(turn.content, found, offset, PAGE, turn.language, place,
                                country_place, turn.today, turn.directory_max_age_days)
    turn.say(text)
    after = offset + len(shown.entries)
    remaining = len(found.entries) - after
    more: list[tuple[str, str]] = []
    if remaining > 0:
        more.append((f"dir:{topic}:{city or ''}:{after}",
                     turn.message("directory_more", count=str(remaining))))
    offer_next(turn, topic, more)


def resolve_directory_choice(turn: Turn, kind: str, value: str) -> bool:
    """Carry out a "dir:" or "city:" choice; False when it is not one of ours or is stale."""
    if kind == "city":
        topic = (turn.pending_topic or "").removeprefix(PENDING_PREFIX)
        if topic not in TOPIC_SERVICES or turn.country is None:
            return False
        cities = turn.content.countries[turn.country].cities
        turn.city = value if value in cities else None
        show_services(turn, topic, turn.city, 0)
        return True
    if kind != "dir":
        return False
    topic, _, rest = value.partition(":")
    if topic not in TOPIC_SERVICES:
        return False
    if not rest:  # "where to go", chosen before the country was known
        if turn.country is None:
            ask_country(turn, f"{PENDING_PREFIX}{topic}")
        elif not offer_services(turn, topic):
            return False
        return True
    city, _, offset = rest.partition(":")
    if turn.country is None or not offset.isdigit():
        return False
    show_services(turn, topic, city or None, int(offset))
    return True
