"""Tell which of the five supported countries a shared location falls in, offline.

A migrant may share their location (Telegram location, WhatsApp location) instead of naming
the country they are in; `country_at` turns it into "Morocco", "Tunisia", "Egypt", "Libya" or
"Yemen" so the answers are for the right country. The coordinates are only looked at here,
never stored or logged.

How it works and how far to trust it:

* Each country is one or more simplified polygons, written by hand from well-known border
  points and checked against public country outlines, and a point is tested by ray casting.
* Along land borders the polygons are drawn about 2-5 km inside the country, never outside
  it; in empty desert where public outlines disagree, inside all of them (up to 30 km). Naming
  the wrong country is worse than naming none, so a point within a few kilometres of a land
  border gets None. Overall accuracy along land borders is roughly 20 km or better.
* Coastlines are generous: the polygons reach 10-30 km into the sea so that a beach, a port or
  a boat in the harbour still counts, but they stop short of any other country's land (the
  Strait of Gibraltar, the Gulf of Aqaba and Bab-el-Mandeb are the narrow places).
* A point inside two polygons is ambiguous and gets None, like a point outside all of them, an
  invalid one (NaN, infinite, latitude beyond +-90, longitude beyond +-180) or anything that is
  not a number.

Deliberate choices, and where the answer is deliberately unsure (None):

* Western Sahara counts as Morocco, as the Moroccan administration treats it, because the app
  treats people there as being in Morocco. The Ras Nouadhibou peninsula south of 21.39 N
  (Lagouira, next to Mauritania's Nouadhibou) is left out.
* Spain's Ceuta, Melilla and the small Spanish islands off the Moroccan coast count as Morocco;
  mainland Spain, Gibraltar and the Canary Islands do not.
* The Halaib triangle (administered by Egypt, claimed by Sudan), Bir Tawil and the
  Sudan-administered salient north of 22 N on the Nile near Wadi Halfa are None; so is
  Shalateen, at the edge of the triangle.
* Tiran and Sanafir (now Saudi) are outside Egypt, and the Sinai shore of the Gulf of Aqaba is
  only covered a few kilometres out; Taba and Egyptian Rafah, on the border itself, are None.
* Places right on a border crossing (Ras Ajdir, Hawf, Ahfir, Wazin) are None, and so may be the
  edges of Figuig, which Algeria surrounds on three sides.
* Of Yemen's islands, Socotra, Samhah, Darsah and Abd al-Kuri have polygons of their own and
  Kamaran and Perim are inside the coast margin; the Hanish islands and the other small Red Sea
  islands are not covered.
"""

from __future__ import annotations

import math

# Vertices are (latitude, longitude) in degrees, in order around each polygon; the last vertex
# connects back to the first.
Polygon = tuple[tuple[float, float], ...]

MOROCCO: tuple[Polygon, ...] = (
    (
        # Strait of Gibraltar, south of Tarifa and Gibraltar, with Ceuta; Mediterranean coast
        # with Melilla and the Chafarinas islands.
        (35.95, -6.10), (35.95, -5.25), (35.78, -5.05), (35.48, -4.55), (35.50, -4.00),
        (35.55, -3.40), (35.65, -2.95), (35.30, -2.40), (35.28, -2.23),
        # Border with Algeria: Saidia, Ahfir, east of Oujda, Figuig, south of Bouarfa.
        (35.09, -2.23), (35.05, -2.25), (34.98, -2.16), (34.89, -2.05), (34.87, -2.02),
        (34.84, -1.95), (34.81, -1.94), (34.76, -1.87), (34.74, -1.81), (34.70, -1.84),
        (34.61, -1.89), (34.59, -1.85), (34.52, -1.81), (34.39, -1.82), (34.27, -1.76),
        (34.11, -1.70), (33.90, -1.74), (33.78, -1.72), (33.73, -1.78), (33.69, -1.78),
        (33.62, -1.65), (33.48, -1.66), (33.44, -1.69), (33.35, -1.70), (33.275, -1.70),
        (33.12, -1.59), (33.07, -1.52), (33.00, -1.53), (32.95, -1.59), (32.72, -1.44),
        (32.68, -1.31), (32.51, -1.05), (32.45, -1.13), (32.40, -1.25), (32.33, -1.29),
        (32.22, -1.30), (32.17, -1.34), (32.145, -1.30), (32.147, -1.195), (32.125, -1.185),
        (32.095, -1.212), (32.097, -1.30), (32.11, -1.40), (32.13, -1.50), (32.12, -1.555),
        (32.15, -1.71), (32.185, -1.88), (32.21, -2.01), (32.185, -2.11), (32.195, -2.27),
        (32.19, -2.47), (32.14, -2.63), (32.15, -2.89), (32.07, -2.97), (31.97, -2.94),
        (31.86, -2.89), (31.80, -2.87), (31.80, -3.02),
        # Then south and west along the Draa to the corner west of Tindouf.
        (31.67, -3.70), (31.39, -3.71), (31.30, -3.83), (31.11, -3.82), (30.95, -3.61),
        (30.86, -3.70), (30.76, -3.68), (30.67, -3.74), (30.59, -3.87), (30.64, -3.90),
        (30.62, -4.16), (30.57, -4.34), (30.32, -4.63), (30.18, -4.94), (30.04, -5.15),
        (29.94, -5.29), (29.87, -5.37), (29.53, -5.60), (29.58, -5.69), (29.63, -5.73),
        (29.65, -5.86), (29.60, -6.05), (29.62, -6.15), (29.54, -6.72), (29.51, -6.80),
        (29.57, -7.12), (29.49, -7.30), (29.41, -7.40), (29.41, -7.60), (29.34, -7.66),
        (29.25, -7.83), (29.18, -7.95), (29.05, -8.19), (28.84, -8.47), (28.75, -8.71),
        # Western Sahara: the short border with Algeria, then Mauritania.
        (27.31, -8.71), (26.04, -8.73), (26.04, -12.05), (23.49, -12.05), (23.41, -12.32),
        (23.32, -12.60), (23.06, -13.04), (22.92, -13.14), (22.77, -13.20), (22.52, -13.13),
        (21.39, -13.06), (21.39, -17.30),
        # Atlantic coast: Dakhla, Boujdour, Laayoune, Tarfaya, Agadir, Casablanca, Tangier.
        (22.10, -17.20), (22.70, -16.55), (23.05, -16.60), (23.75, -16.25), (24.40, -15.65),
        (25.10, -15.10), (25.65, -15.05), (26.30, -14.70), (26.70, -14.00), (27.70, -13.45),
        (28.05, -13.15), (28.30, -12.30), (28.55, -11.70), (29.10, -11.05), (29.30, -10.65),
        (29.95, -9.95), (30.60, -10.15), (31.40, -10.15), (32.00, -9.85), (32.60, -9.65),
        (33.35, -8.85), (33.95, -7.55), (34.25, -6.95), (34.90, -6.55), (35.50, -6.30),
        (35.85, -6.20),
    ),
)

TUNISIA: tuple[Polygon, ...] = (
    (
        # North coast from the Algerian border west of Tabarka, with La Galite, then Cap Bon,
        # Sousse, Kerkennah, the Gulf of Gabes, Djerba and Zarzis.
        (36.95, 8.68), (37.12, 8.68), (37.62, 8.80), (37.62, 9.10), (37.55, 9.85),
        (37.30, 11.10), (36.85, 11.30), (36.40, 10.95), (35.80, 11.20), (35.25, 11.40),
        (34.90, 11.60), (34.30, 11.30), (33.85, 11.30), (33.45, 11.40), (33.30, 11.52),
        # Border with Libya from Ras Ajdir: Ben Gardane, Dehiba, down to Borj El Khadra.
        (33.17, 11.47), (33.10, 11.44), (32.40, 11.38), (32.29, 11.20), (32.21, 10.97),
        (32.08, 10.80), (32.00, 10.71), (32.00, 10.60), (31.84, 10.55), (31.76, 10.49),
        (31.76, 10.34), (31.72, 10.26), (31.42, 10.00), (31.38, 9.92), (30.96, 10.02),
        (30.54, 9.93), (30.40, 9.62),
        # Border with Algeria: Chott el Jerid west of Tozeur and Nefta, Kasserine,
        # Sakiet Sidi Youssef, Ghardimaou, Ain Draham.
        (32.08, 9.15), (32.52, 8.47), (32.75, 8.47), (33.12, 8.16), (33.22, 7.95),
        (33.22, 7.87), (33.32, 7.82), (33.43, 7.78), (33.64, 7.64), (33.90, 7.56),
        (34.07, 7.60), (34.14, 7.67), (34.13, 7.76), (34.21, 7.86), (34.25, 7.86),
        (34.40, 7.90), (34.42, 7.97), (34.46, 8.05), (34.52, 8.16), (34.58, 8.26),
        (34.73, 8.36), (34.95, 8.35), (35.09, 8.39), (35.14, 8.45), (35.24, 8.51),
        (35.32, 8.36), (35.46, 8.43), (35.72, 8.37), (35.96, 8.34), (36.09, 8.39),
        (36.42, 8.45), (36.45, 8.41), (36.48, 8.34), (36.56, 8.37), (36.60, 8.48),
        (36.65, 8.49), (36.69, 8.53), (36.745, 8.51), (36.75, 8.60), (36.82, 8.72),
    ),
)

LIBYA: tuple[Polygon, ...] = (
    (
        # Coast from Ras Ajdir: Zuwara, Tripoli, Misrata, the Gulf of Sidra, Benghazi, Derna,
        # Tobruk, Bardia.
        (33.16, 11.61), (33.35, 11.70), (33.15, 12.10), (33.12, 13.20), (32.90, 14.30),
        (32.62, 15.35), (31.45, 16.60), (31.00, 18.00), (30.50, 19.10), (31.00, 19.80),
        (31.75, 19.60), (32.25, 19.88), (32.95, 20.80), (33.15, 21.60), (33.20, 22.20),
        (33.10, 22.60), (32.90, 23.05), (32.45, 23.70), (32.25, 24.00), (32.22, 24.60),
        (32.15, 25.05), (31.80, 25.20),
        # Border with Egypt: west of Sallum, east of Jaghbub, then 25 E.
        (31.62, 25.05), (31.55, 25.03), (31.49, 24.93), (31.40, 24.82), (31.17, 24.82),
        (31.09, 24.76), (30.78, 24.87), (30.66, 24.91), (30.49, 24.84), (30.32, 24.74),
        (30.17, 24.66), (30.04, 24.66), (29.90, 24.71), (29.65, 24.81), (29.49, 24.84),
        (29.26, 24.96),
        # Borders with Sudan (25 E, 20 N), Chad (the Aozou strip stays out) and Niger.
        (20.04, 24.96), (20.04, 23.80), (19.66, 23.80), (20.49, 22.21), (21.67, 19.85),
        (22.05, 19.09), (23.50, 16.00), (23.05, 15.00), (22.66, 14.24), (23.19, 13.60),
        (23.26, 13.45), (23.57, 12.03),
        # Border with Algeria: Ghat, then north to Ghadames.
        (24.27, 11.66), (24.50, 11.12), (24.58, 10.99), (24.62, 10.82), (24.62, 10.73),
        (24.62, 10.60), (24.57, 10.40), (24.70, 10.25), (24.95, 10.08), (25.35, 10.07),
        (26.10, 9.55), (26.38, 9.65), (26.52, 9.93), (26.85, 9.97), (27.86, 10.00),
        (28.74, 9.95), (29.41, 9.84), (29.90, 9.62), (30.01, 9.47), (30.12, 9.44),
        (30.17, 9.46), (30.20, 9.60),
        # Border with Tunisia up to Ras Ajdir.
        (30.28, 9.72), (30.34, 9.91), (30.44, 10.04), (30.57, 10.12), (30.71, 10.25),
        (30.90, 10.34), (31.08, 10.32), (31.20, 10.27), (31.39, 10.19), (31.47, 10.17),
        (31.60, 10.38), (31.70, 10.56), (31.74, 10.64), (31.88, 10.78), (32.00, 10.90),
        (32.10, 11.01), (32.18, 11.14), (32.26, 11.28), (32.35, 11.45), (32.40, 11.56),
        (32.46, 11.65), (32.52, 11.65), (32.58, 11.60), (32.65, 11.53), (32.85, 11.54),
        (32.98, 11.56), (33.13, 11.60),
    ),
)

EGYPT: tuple[Polygon, ...] = (
    (
        # Mediterranean coast from Sallum: Marsa Matruh, Alexandria, the Delta, Port Said,
        # Arish, up to Rafah.
        (31.58, 25.12), (31.72, 25.25), (31.85, 25.90), (31.62, 27.20), (31.55, 28.00),
        (31.10, 28.95), (31.50, 29.85), (31.78, 30.40), (31.90, 31.10), (31.80, 31.85),
        (31.55, 32.35), (31.42, 33.20), (31.40, 33.80), (31.42, 34.08),
        # Border with Gaza and Israel, Rafah to Taba.
        (31.31, 34.19), (31.21, 34.22), (30.85, 34.36), (30.45, 34.49), (29.58, 34.83),
        (29.49, 34.86),
        # Gulf of Aqaba shore (the Saudi coast and Tiran are 5-25 km across): Nuweiba, Dahab,
        # Sharm el-Sheikh, Ras Mohammed.
        (29.05, 34.72), (28.50, 34.57), (28.05, 34.47), (27.95, 34.42), (27.80, 34.36),
        (27.60, 34.28), (27.55, 34.15),
        # Red Sea coast: Hurghada, Safaga, Quseir, Marsa Alam, Ras Banas.
        (27.00, 34.15), (26.10, 34.55), (25.07, 35.15), (23.85, 36.05), (23.40, 35.95),
        # The Halaib triangle stays out, then 22 N, leaving out the salient north of
        # Wadi Halfa.
        (22.02, 34.05), (22.02, 31.55), (22.22, 31.48), (22.22, 31.20), (22.02, 31.15),
        (22.02, 25.04),
        # Border with Libya: 25 E, west of Siwa, east of Jaghbub, up to Sallum.
        (29.26, 25.04), (29.49, 24.95), (29.65, 24.94), (29.90, 24.88), (30.04, 24.81),
        (30.17, 24.79), (30.32, 24.85), (30.60, 25.00), (30.78, 25.05), (31.10, 24.94),
        (31.30, 25.00), (31.45, 25.08),
    ),
)

YEMEN: tuple[Polygon, ...] = (
    (
        # Red Sea coast from the Saudi border south of Jizan: Hodeidah, Mocha, Bab-el-Mandeb
        # (Djibouti's Seven Brothers islands stay out).
        (16.32, 42.80), (16.30, 42.50), (15.70, 42.45), (15.30, 42.35), (14.80, 42.62),
        (13.80, 43.05), (13.30, 43.08), (12.85, 43.28), (12.62, 43.37), (12.55, 43.55),
        # Gulf of Aden and Arabian Sea coast: Aden, Zinjibar, Mukalla, Ras Fartak, Al Ghaydah.
        (12.40, 44.00), (12.55, 45.00), (12.90, 45.50), (13.15, 46.70), (13.35, 47.35),
        (13.75, 48.00), (13.75, 48.70), (14.45, 49.60), (14.95, 51.20), (15.40, 52.30),
        (16.35, 53.08),
        # Border with Oman west of Dhalkut, then the 2000 Jeddah line with Saudi Arabia.
        (16.62, 53.03), (17.28, 52.70), (17.33, 52.70), (18.94, 51.95), (18.72, 50.79),
        (18.56, 49.12), (18.10, 48.22), (17.05, 47.48), (16.91, 47.18), (16.90, 47.00),
        (17.24, 46.74), (17.19, 46.37), (17.20, 46.11), (17.29, 45.40), (17.39, 45.20),
        (17.36, 44.57), (17.39, 44.50), (17.37, 44.20), (17.32, 44.10), (17.29, 43.97),
        (17.27, 43.80), (17.31, 43.62), (17.30, 43.37), (17.26, 43.25), (17.17, 43.22),
        (17.08, 43.27), (17.02, 43.29), (16.97, 43.23), (16.81, 43.28), (16.76, 43.31),
        (16.65, 43.29), (16.55, 43.20), (16.40, 43.00),
    ),
    (
        # Socotra, with Samhah and Darsah to its west.
        (12.80, 53.20), (12.95, 53.70), (12.95, 54.30), (12.75, 54.75), (12.40, 54.80),
        (12.15, 54.30), (12.10, 53.60), (11.98, 53.25), (12.02, 52.90), (12.30, 52.90),
    ),
    (
        # Abd al-Kuri.
        (12.35, 51.95), (12.35, 52.50), (12.05, 52.50), (12.05, 51.95),
    ),
)

COUNTRIES: dict[str, tuple[Polygon, ...]] = {
    "Morocco": MOROCCO,
    "Tunisia": TUNISIA,
    "Egypt": EGYPT,
    "Libya": LIBYA,
    "Yemen": YEMEN,
}


def _inside(latitude: float, longitude: float, polygon: Polygon) -> bool:
    """Return whether the point is inside the polygon, by even-odd ray casting along longitude."""
    inside = False
    previous_lat, previous_lon = polygon[-1]
    for lat, lon in polygon:
        if (lat > latitude) != (previous_lat > latitude):
            crossing = lon + (latitude - lat) * (previous_lon - lon) / (previous_lat - lat)
            if longitude < crossing:
                inside = not inside
        previous_lat, previous_lon = lat, lon
    return inside


def _bounds(polygon: Polygon) -> tuple[float, float, float, float]:
    """Return (south, north, west, east) of the polygon."""
    lats = [lat for lat, _ in polygon]
    lons = [lon for _, lon in polygon]
    return min(lats), max(lats), min(lons), max(lons)


_INDEX: tuple[tuple[str, Polygon, tuple[float, float, float, float]], ...] = tuple(
    (name, polygon, _bounds(polygon))
    for name, polygons in COUNTRIES.items()
    for polygon in polygons
)


def country_at(latitude: float, longitude: float) -> str | None:
    """Return the supported country at (latitude, longitude) in degrees, or None when unsure.

    None means outside all five countries, close enough to a land border to be unsure, or not a
    valid coordinate; this function never raises.
    """
    try:
        lat = float(latitude)
        lon = float(longitude)
    except (TypeError, ValueError, OverflowError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    found = {
        name
        for name, polygon, (south, north, west, east) in _INDEX
        if south <= lat <= north and west <= lon <= east and _inside(lat, lon, polygon)
    }
    if len(found) != 1:
        return None
    return found.pop()
