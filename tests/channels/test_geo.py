"""country_at on real places: cities, ports and border towns in and around the five countries."""

from __future__ import annotations

import math

import pytest

from bot.channels.geo import COUNTRIES, country_at

# (name, latitude, longitude) of places in each country, border towns included.
INSIDE = {
    "Morocco": [
        ("Oujda", 34.6814, -1.9086),
        ("Figuig", 32.1097, -1.2289),
        ("Nador", 35.1681, -2.9335),
        ("Laayoune", 27.1536, -13.2033),
        ("Dakhla", 23.7136, -15.9355),
        ("Tangier", 35.7595, -5.8340),
        ("Casablanca", 33.5731, -7.5898),
        ("Agadir", 30.4278, -9.5981),
        ("Rabat", 34.0209, -6.8416),
        ("Marrakech", 31.6295, -7.9811),
        ("Fes", 34.0181, -5.0078),
        ("Tetouan", 35.5785, -5.3684),
        ("Essaouira", 31.5085, -9.7595),
        ("Errachidia", 31.9314, -4.4244),
        ("Bouarfa", 32.5330, -1.9500),
        ("Zagora", 30.3324, -5.8384),
        ("Tata", 29.7428, -7.9725),
        ("Guelmim", 28.9870, -10.0574),
        ("Smara", 26.7384, -11.6719),
        ("Boujdour", 26.1257, -14.4840),
        ("Ceuta (treated as Morocco)", 35.8894, -5.3213),
        ("Melilla (treated as Morocco)", 35.2923, -2.9381),
    ],
    "Tunisia": [
        ("Tunis", 36.8065, 10.1815),
        ("Sfax", 34.7406, 10.7603),
        ("Gabes", 33.8815, 10.0982),
        ("Medenine", 33.3549, 10.5055),
        ("Ben Gardane", 33.1378, 11.2197),
        ("Tozeur", 33.9197, 8.1335),
        ("Tabarka", 36.9544, 8.7580),
        ("Djerba (Houmt Souk)", 33.8750, 10.8575),
        ("Sousse", 35.8256, 10.6360),
        ("Monastir", 35.7643, 10.8113),
        ("Kairouan", 35.6781, 10.0963),
        ("Bizerte", 37.2744, 9.8739),
        ("Nabeul", 36.4561, 10.7376),
        ("Kasserine", 35.1676, 8.8365),
        ("Gafsa", 34.4250, 8.7842),
        ("Nefta", 33.8731, 7.8774),
        ("Tataouine", 32.9297, 10.4518),
        ("Zarzis", 33.5036, 11.1122),
    ],
    "Libya": [
        ("Tripoli", 32.8872, 13.1913),
        ("Zuwara", 32.9312, 12.0820),
        ("Benghazi", 32.1167, 20.0667),
        ("Tobruk", 32.0836, 23.9764),
        ("Sabha", 27.0377, 14.4283),
        ("Kufra (Al Jawf)", 24.1997, 23.2909),
        ("Ghat", 24.9647, 10.1728),
        ("Misrata", 32.3754, 15.0925),
        ("Sirte", 31.2089, 16.5887),
        ("Ajdabiya", 30.7554, 20.2263),
        ("Derna", 32.7670, 22.6367),
        ("Bayda", 32.7627, 21.7551),
        ("Zawiya", 32.7571, 12.7278),
        ("Gharyan", 32.1722, 13.0203),
        ("Nalut", 31.8685, 10.9812),
        ("Ghadames", 30.1337, 9.5007),
        ("Ubari", 26.5903, 12.7805),
        ("Murzuq", 25.9155, 13.9184),
        ("Jaghbub", 29.7425, 24.5169),
    ],
    "Egypt": [
        ("Cairo", 30.0444, 31.2357),
        ("Alexandria", 31.2001, 29.9187),
        ("Aswan", 24.0889, 32.8998),
        ("Salloum", 31.5526, 25.1551),
        ("Marsa Matruh", 31.3543, 27.2373),
        ("Sharm el-Sheikh", 27.9158, 34.3300),
        ("Arish", 31.1313, 33.7984),
        ("Siwa", 29.2032, 25.5195),
        ("Luxor", 25.6872, 32.6396),
        ("Hurghada", 27.2579, 33.8116),
        ("Port Said", 31.2653, 32.3019),
        ("Suez", 29.9668, 32.5498),
        ("Ismailia", 30.5965, 32.2715),
        ("Dahab", 28.5091, 34.5136),
        ("Nuweiba", 29.0333, 34.6667),
        ("El Tor", 28.2364, 33.6225),
        ("Marsa Alam", 25.0676, 34.8790),
        ("Kharga", 25.4390, 30.5586),
        ("Abu Simbel", 22.3372, 31.6258),
    ],
    "Yemen": [
        ("Sanaa", 15.3694, 44.1910),
        ("Aden", 12.7855, 45.0187),
        ("Taiz", 13.5795, 44.0209),
        ("Hodeidah", 14.7978, 42.9545),
        ("Mukalla", 14.5425, 49.1242),
        ("Marib", 15.4620, 45.3250),
        ("Saada", 16.9402, 43.7639),
        ("Hadibu (Socotra)", 12.6519, 54.0239),
        ("Qalansiyah (Socotra)", 12.6833, 53.4833),
        ("Ibb", 13.9667, 44.1833),
        ("Dhamar", 14.5427, 44.4051),
        ("Hajjah", 15.6943, 43.6058),
        ("Mocha", 13.3203, 43.2500),
        ("Zinjibar", 13.1289, 45.3803),
        ("Ataq", 14.5377, 46.8319),
        ("Seiyun", 15.9430, 48.7873),
        ("Al Ghaydah", 16.2079, 52.1760),
    ],
}

# Places outside the five countries, many of them just across a border or a strait.
OUTSIDE = [
    ("Algiers", 36.7538, 3.0588),
    ("Oran", 35.6971, -0.6308),
    ("Tlemcen", 34.8828, -1.3167),
    ("Maghnia", 34.8436, -1.7306),
    ("Beni Ounif", 32.0494, -1.2513),
    ("Bechar", 31.6238, -2.2162),
    ("Tindouf", 27.6742, -8.1478),
    ("El Kala", 36.8956, 8.4433),
    ("Souk Ahras", 36.2864, 7.9511),
    ("Tebessa", 35.4042, 8.1242),
    ("El Oued", 33.3683, 6.8674),
    ("Djanet", 24.5534, 9.4844),
    ("Tamanrasset", 22.7850, 5.5228),
    ("Madrid", 40.4168, -3.7038),
    ("Malaga", 36.7213, -4.4214),
    ("Gibraltar", 36.1408, -5.3536),
    ("Tarifa", 36.0143, -5.6044),
    ("Algeciras", 36.1275, -5.4539),
    ("Las Palmas", 28.1235, -15.4363),
    ("Arrecife (Lanzarote)", 28.9630, -13.5477),
    ("Puerto del Rosario (Fuerteventura)", 28.5004, -13.8627),
    ("Valletta", 35.8989, 14.5146),
    ("Lampedusa", 35.5011, 12.6056),
    ("Pantelleria", 36.8331, 11.9432),
    ("Palermo", 38.1157, 13.3615),
    ("Heraklion", 35.3387, 25.1442),
    ("Khartoum", 15.5007, 32.5599),
    ("Wadi Halfa", 21.7991, 31.3713),
    ("Port Sudan", 19.6158, 37.2164),
    ("Halaib (Halaib triangle, deliberately unsure)", 22.2167, 36.6333),
    ("N'Djamena", 12.1348, 15.0557),
    ("Aozou", 21.8233, 17.4267),
    ("Faya-Largeau", 17.9257, 19.1043),
    ("Niamey", 13.5116, 2.1254),
    ("Agadez", 16.9742, 7.9865),
    ("Tel Aviv", 32.0853, 34.7818),
    ("Gaza", 31.5017, 34.4668),
    ("Beersheba", 31.2518, 34.7913),
    ("Eilat", 29.5577, 34.9519),
    ("Aqaba", 29.5320, 35.0063),
    ("Jeddah", 21.4858, 39.1925),
    ("Jizan", 16.8892, 42.5511),
    ("Najran", 17.4917, 44.1322),
    ("Sharurah", 17.4667, 47.1167),
    ("Salalah", 17.0151, 54.0924),
    ("Djibouti", 11.5721, 43.1456),
    ("Asmara", 15.3229, 38.9251),
    ("Assab", 13.0092, 42.7394),
    ("Bosaso", 11.2842, 49.1816),
    ("Berbera", 10.4396, 45.0143),
    ("Nouakchott", 18.0735, -15.9582),
    ("Nouadhibou", 20.9310, -17.0347),
    ("Zouerat", 22.7350, -12.4714),
    ("Bir Moghrein", 25.2333, -11.5833),
    ("Bamako", 12.6392, -8.0029),
    ("open Atlantic", 30.0, -20.0),
    ("Ionian Sea", 35.0, 18.0),
    ("Ras Ajdir crossing (on the Tunisia-Libya border)", 33.1667, 11.5667),
    ("null island", 0.0, 0.0),
]

INSIDE_CASES = [
    pytest.param(lat, lon, country, id=f"{country}-{name}")
    for country, places in INSIDE.items()
    for name, lat, lon in places
]


@pytest.mark.parametrize("lat, lon, country", INSIDE_CASES)
def test_places_in_a_country(lat: float, lon: float, country: str) -> None:
    assert country_at(lat, lon) == country


@pytest.mark.parametrize(
    "lat, lon", [pytest.param(lat, lon, id=name) for name, lat, lon in OUTSIDE]
)
def test_places_outside_the_five_countries(lat: float, lon: float) -> None:
    assert country_at(lat, lon) is None


@pytest.mark.parametrize(
    "lat, lon",
    [
        (math.nan, 10.0),
        (32.0, math.nan),
        (math.inf, 10.0),
        (32.0, -math.inf),
        (91.0, 0.0),
        (-91.0, 0.0),
        (32.0, 181.0),
        (32.0, -180.5),
        (None, 10.0),
        ("north", 10.0),
        (32.0, [10.0]),
    ],
)
def test_invalid_coordinates_are_none(lat: object, lon: object) -> None:
    assert country_at(lat, lon) is None  # type: ignore[arg-type]


def test_returns_exactly_the_five_country_names() -> None:
    assert set(COUNTRIES) == {"Morocco", "Tunisia", "Egypt", "Libya", "Yemen"}
    found = {country_at(lat, lon) for places in INSIDE.values() for _, lat, lon in places}
    assert found == set(COUNTRIES)


def test_shared_borders_are_never_crossed() -> None:
    """Points on the 25 E border are None, and Tunisia and Libya never cross each other's line."""
    for lat in [20.0 + 0.25 * i for i in range(37)]:
        assert country_at(lat, 25.0) is None
    # Ras Ajdir to Borj El Khadra: west of the line is never Libya, east of it never Tunisia.
    for lat, lon in [(33.14, 11.55), (32.50, 11.58), (32.0, 10.78), (31.5, 10.13), (30.9, 10.29)]:
        assert country_at(lat, lon - 0.1) != "Libya"
        assert country_at(lat, lon + 0.1) != "Tunisia"
