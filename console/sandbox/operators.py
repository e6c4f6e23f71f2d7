"""The sandbox's price list: countries, their mobile operators (with MCC/MNC), and a number
prefix of each operator that phonenumbers' carrier data names the same way, so traffic the
sandbox makes up (the AIT scenario) lands on the operator the console will see.

Plausible values for a demo, stable and documented; prices are per SMS part, in EUR.
"""

from __future__ import annotations

from dataclasses import dataclass

CURRENCY = "EUR"
DEFAULT_PRICE = 0.0500


@dataclass(frozen=True, slots=True)
class Operator:
    name: str
    operator_id: int
    hni: tuple[tuple[str, str], ...]  # (mcc, mnc)
    prefix: str  # E.164 prefix of numbers on this operator (phonenumbers agrees)


@dataclass(frozen=True, slots=True)
class Country:
    code: str  # ISO 3166-1 alpha-2
    name: str
    dialing_prefix: str
    price: float  # per SMS part, EUR
    operators: tuple[Operator, ...]


def _op(name: str, mcc: str, mnc: str, prefix: str) -> Operator:
    return Operator(name, int(mcc + mnc), ((mcc, mnc),), prefix)


COUNTRIES: tuple[Country, ...] = (
    Country(
        "SG",
        "Singapore",
        "+65",
        0.0370,
        (
            _op("SingTel", "525", "01", "+659123"),
            _op("StarHub", "525", "05", "+659101"),
            _op("M1", "525", "03", "+658051"),
        ),
    ),
    Country(
        "MY",
        "Malaysia",
        "+60",
        0.0210,
        (_op("Maxis", "502", "12", "+60123"), _op("Celcom", "502", "19", "+60191")),
    ),
    Country(
        "ID",
        "Indonesia",
        "+62",
        0.0290,
        (
            _op("Telkomsel", "510", "10", "+62811"),
            _op("Indosat Ooredoo Hutchison", "510", "01", "+62857"),
            _op("XL", "510", "11", "+62817"),
        ),
    ),
    Country(
        "PH",
        "Philippines",
        "+63",
        0.0160,
        (_op("Globe", "515", "02", "+63917"), _op("Smart", "515", "03", "+63918")),
    ),
    Country("TH", "Thailand", "+66", 0.0150, (_op("True Move", "520", "04", "+668031"),)),
    Country("IN", "India", "+91", 0.0045, (_op("Airtel", "404", "10", "+91987"),)),
    Country("AU", "Australia", "+61", 0.0390, (_op("Telstra", "505", "01", "+614001"),)),
    Country("GB", "United Kingdom", "+44", 0.0350, (_op("EE", "234", "30", "+447301"),)),
    Country("DE", "Germany", "+49", 0.0750, (_op("T-Mobile", "262", "01", "+49151"),)),
    Country("FR", "France", "+33", 0.0690, (_op("Orange France", "208", "01", "+33607"),)),
    Country("US", "United States", "+1", 0.0079, ()),
    Country("CA", "Canada", "+1", 0.0075, ()),
)
COUNTRY_BY_CODE = {country.code: country for country in COUNTRIES}


def price_for(region: str | None) -> float:
    """The price of one SMS part to a country (DEFAULT_PRICE where the list has none)."""
    country = COUNTRY_BY_CODE.get(region or "")
    return country.price if country is not None else DEFAULT_PRICE


def price_list(region: str | None = None) -> list[dict[str, object]]:
    """The outbound price list (8x8's PriceOutboundCountry items), of one country or all."""
    countries = [COUNTRY_BY_CODE[region]] if region in COUNTRY_BY_CODE else []
    if region is None:
        countries = list(COUNTRIES)
    return [
        {
            "alpha2Code": country.code,
            "countryName": country.name,
            "dialingPrefix": country.dialing_prefix,
            "operators": [
                {
                    "operatorName": op.name,
                    "operatorId": op.operator_id,
                    "hni": [{"mcc": mcc, "mnc": mnc} for mcc, mnc in op.hni],
                    "price": {"amount": country.price, "currency": CURRENCY},
                }
                for op in country.operators
            ],
        }
        for country in countries
    ]
