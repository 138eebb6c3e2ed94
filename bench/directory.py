"""Print what the referral directory gives people: reach per city, freshness, SMS cost.

Usage: .venv/bin/python bench/directory.py [--today YYYY-MM-DD]

- per city of places.yml: whether a person asking "where" gets a health service and a protection
  contact with a number in the city itself, only a national line, or nothing;
- the share of entries verified from a source dated within 24 months, and with its URL;
- SMS segments of the first "where" block, as the SMS channel sends it (accents folded where that
  makes it GSM-7), over every country, service type a topic refers to and city (and no city), per
  language: median, 90th percentile and maximum.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
from collections import defaultdict

from bot import sms
from bot.actions.directory import PAGE, TOPIC_SERVICES
from bot.content import load_content
from bot.content.coverage import (
    HEALTH_SERVICES,
    PROTECTION_SERVICES,
    city_coverage,
    city_coverage_text,
)
from bot.content.directory import DIRECTORY_MAX_AGE_DAYS, referral
from bot.content.render import city_name, referral_page
from bot.paths import CONTENT_DIR

# Segments: 3 for a Latin-script language (GSM-7), 5 for Arabic and Ge'ez script (UCS-2).
GOALS = {"en": 3, "fr": 3, "es": 3, "ar": 5, "om": 3, "am": 5, "ti": 5, "so": 3, "ha": 3}
LISTED_CITIES = {
    "Morocco": ("Rabat", "Casablanca", "Tangier", "Oujda", "Fes", "Nador", "Laayoune"),
    "Tunisia": ("Tunis", "Sfax", "Medenine", "Zarzis"),
    "Egypt": ("Cairo", "Giza", "Alexandria"),
    "Libya": ("Tripoli", "Benghazi", "Misrata", "Sabha"),
    "Yemen": ("Aden", "Sanaa", "Marib", "Lahj"),
}


def _percentile(values: list[int], share: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    today = dt.date.today()
    if "--today" in sys.argv:
        today = dt.date.fromisoformat(sys.argv[sys.argv.index("--today") + 1])
    content = load_content(CONTENT_DIR)
    directory = content.directory
    assert directory is not None

    print(f"Reach per city ({today}; 'national' = only a line for the whole country):")
    rows = city_coverage(content, today=today, directory_max_age_days=DIRECTORY_MAX_AGE_DAYS)
    print(city_coverage_text(rows))
    failing = []
    for country, cities in LISTED_CITIES.items():
        for city in cities:
            for family, services in (("health", HEALTH_SERVICES),
                                     ("protection", PROTECTION_SERVICES)):
                found = [referral(directory, country, s, city=city, today=today)
                         for s in services]
                numbered = [e for r in found for e in (*r.entries, *r.fallback)
                            if e.phone or e.whatsapp]
                if not numbered:
                    failing.append(f"{country}/{city}/{family}")
    print(f"\nlisted cities (issue 17): {sum(map(len, LISTED_CITIES.values()))}; "
          f"a health or protection need with no number at all: {len(failing)} "
          f"{' '.join(failing)}")

    entries = directory.all_entries()
    recent = [e for e in entries if e.verified_on and (today - e.verified_on).days <= 730]
    with_url = [e for e in recent if e.source_url]
    print(f"\nentries: {len(entries)}; verified from a source dated within 24 months: "
          f"{len(recent)} ({100 * len(recent) / len(entries):.0f} %), of which with a URL: "
          f"{len(with_url)} ({100 * len(with_url) / len(entries):.0f} % of all)")
    per_country = defaultdict(lambda: [0, 0])
    for entry in entries:
        per_country[entry.country][0] += 1
        per_country[entry.country][1] += entry in recent
    print("  " + ", ".join(f"{c} {r}/{n}" for c, (n, r) in per_country.items()))

    counts: dict[str, list[int]] = defaultdict(list)
    shown_counts: dict[str, list[int]] = defaultdict(list)
    encodings: dict[str, set[str]] = defaultdict(set)
    for country in directory.countries:
        cities = (None, *content.countries[country].cities)
        for service in dict.fromkeys(TOPIC_SERVICES.values()):
            if not any(service in e.services for e in directory.entries(country)):
                continue  # no block is shown for it (`has_services`)
            for city in cities:
                found = referral(directory, country, service, city=city, today=today)
                for language in content.languages:
                    country_place = content.country_name(country, language)
                    place = (city_name(content, country, city, language) if city
                             else country_place)
                    shown, text = referral_page(content, found, 0, PAGE, language, place,
                                                country_place, today, DIRECTORY_MAX_AGE_DAYS)
                    text = sms.gsm_fold(text)
                    shown_counts[language].append(len(shown.entries))
                    counts[language].append(sms.segments(text))
                    encodings[language].add(sms.encoding(text))
    print(f"\nSMS segments of the first 'where' block (up to {PAGE} services, fewer when they "
          "would pass the budget), as sent:")
    print("lang  blocks  median  p90  max  goal  services shown (mean)  encodings")
    for language, values in counts.items():
        median = statistics.median(values)
        goal = GOALS.get(language)
        print(f"{language:4}  {len(values):6}  {median:6.1f}  {_percentile(values, 0.9):3}  "
              f"{max(values):3}  {goal or '-':>4}  "
              f"{statistics.mean(shown_counts[language]):21.2f}  "
              f"{'/'.join(sorted(encodings[language]))}")


if __name__ == "__main__":
    main()
