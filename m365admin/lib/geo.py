"""Where a sign-in came from, when Graph knows it.

Graph sends latitude 0 and longitude 0 (or nothing) when it could not place a sign-in, and
now and then a country code that names no country; both mean *unknown location*, never a
place in the Gulf of Guinea or a new country to alert on.
"""

from __future__ import annotations

# ISO 3166-1 alpha-2: the 249 officially assigned codes (Debian's iso-codes 4.15.0,
# iso_3166-1.json), and XK, the user-assigned code Microsoft and others use for Kosovo.
COUNTRY_CODES = frozenset({
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX",
    "AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ",
    "BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK",
    "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM",
    "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR",
    "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS",
    "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN",
    "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN",
    "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV",
    "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ",
    "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI",
    "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM",
    "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC",
    "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV",
    "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR",
    "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
    "XK",
})


def country_code(value: object) -> str:
    """The upper-case ISO code, or "" for a missing or unknown one."""
    if value in COUNTRY_CODES:  # the common case, first: this runs for every sign-in
        return value
    code = value.strip().upper() if isinstance(value, str) else ""
    return code if code in COUNTRY_CODES else ""


def coordinates(latitude: float | None, longitude: float | None) -> tuple[float | None, float | None]:
    """(latitude, longitude), or (None, None) when Graph could not place the sign-in."""
    if latitude is None or longitude is None:
        return None, None
    if (latitude == 0 and longitude == 0) or abs(latitude) > 90 or abs(longitude) > 180:
        return None, None
    return latitude, longitude
