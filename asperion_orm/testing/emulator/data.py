"""Deterministic seeded sample data for the emulator: Dutch companies, people and books."""

from __future__ import annotations

import functools
import itertools
import operator
import random
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

__all__ = [
    "GENERATORS",
    "Context",
    "company_name",
    "iban",
    "iban_is_valid",
    "invoice_totals",
    "natural_size",
    "sales_totals",
    "vat_rates",
    "with_vat",
]

Row = dict[str, Any]
Rows = Iterator[Row] | dict[Any, Row]
"""What a generator gives: its rows, or a dict of them by id when it has the ids at hand
(a table then need not read 100,000 rows' ids to index them)."""
_T = TypeVar("_T")
_U = TypeVar("_U")
CENT = Decimal("0.01")
NAIVE_EPOCH = datetime(2024, 1, 1, 8, 0)
SPAN_SECONDS = 2 * 365 * 24 * 3600
STAMP_LAG_SECONDS = 90 * 24 * 3600
"""The longest a generated row's change follows its creation."""

FIRST_NAMES = (
    "Jan", "Piet", "Kees", "Anouk", "Sanne", "Lotte", "Daan", "Bram", "Sophie", "Emma",
    "Ruud", "Marieke", "Joost", "Fleur", "Thijs", "Ilse", "Sem", "Noor", "Zoë", "Chloë",
    "Geert", "Henk", "Ingrid", "Wouter", "Eline", "Maarten", "Femke", "Jeroen", "Lieke", "Gijs",
)  # fmt: skip
SURNAMES = (
    "de Vries", "Jansen", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
    "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker",
    "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "Kok", "Jacobs",
    "van Dijk", "Vermeulen", "van der Linden", "Prins", "Huisman", "Kuipers", "Groenewoud",
    "Koç", "El Amrani", "Nguyễn",
)  # fmt: skip
TRADES = (
    "Bakkerij", "Installatiebedrijf", "Transportbedrijf", "Adviesbureau", "Schildersbedrijf",
    "Hoveniersbedrijf", "Autobedrijf", "Drukkerij", "Loodgietersbedrijf", "Kapsalon",
    "Architectenbureau", "Timmerbedrijf", "Groothandel", "Fietsenmaker", "Café",
    "Accountantskantoor", "Bloemist", "Slagerij", "IT-diensten", "Verhuurbedrijf",
)  # fmt: skip
FORMS = ("B.V.", "B.V.", "V.O.F.", "", "Holding B.V.", "& Zn.", "C.V.")
STREETS = (
    "Kerkstraat", "Dorpsstraat", "Molenweg", "Stationsweg", "Schoolstraat", "Hoofdstraat",
    "Julianastraat", "Beatrixlaan", "Wilhelminastraat", "Nieuwstraat", "Marktplein",
    "Industrieweg", "Kastanjelaan", "Eikenlaan", "Prinsengracht", "Havenkade", "Lindenlaan",
    "Parallelweg", "Sportlaan", "Burgemeester de Withstraat",
)  # fmt: skip
CITIES = (
    "Amsterdam", "Rotterdam", "Den Haag", "Utrecht", "Eindhoven", "Groningen", "Tilburg",
    "Almere", "Breda", "Nijmegen", "Apeldoorn", "Haarlem", "Arnhem", "Enschede", "Amersfoort",
    "Zwolle", "Leiden", "Maastricht", "Dordrecht", "'s-Hertogenbosch", "Delft", "Deventer",
    "Alkmaar", "Leeuwarden", "Hoorn", "Gouda", "Middelburg", "Assen", "Venlo", "Zaandam",
)  # fmt: skip
COUNTRIES = (
    ("Nederland", "NL"), ("België", "BE"), ("Duitsland", "DE"), ("Frankrijk", "FR"),
    ("Verenigd Koninkrijk", "GB"), ("Luxemburg", "LU"), ("Spanje", "ES"), ("Italië", "IT"),
    ("Oostenrijk", "AT"), ("Zwitserland", "CH"), ("Denemarken", "DK"), ("Zweden", "SE"),
    ("Noorwegen", "NO"), ("Finland", "FI"), ("Polen", "PL"), ("Portugal", "PT"),
    ("Ierland", "IE"), ("Griekenland", "GR"), ("Tsjechië", "CZ"), ("Hongarije", "HU"),
    ("Roemenië", "RO"), ("Bulgarije", "BG"), ("Kroatië", "HR"), ("Slovenië", "SI"),
    ("Slowakije", "SK"), ("Estland", "EE"), ("Letland", "LV"), ("Litouwen", "LT"),
    ("Turkije", "TR"), ("Marokko", "MA"), ("Suriname", "SR"), ("Curaçao", "CW"),
    ("Verenigde Staten", "US"), ("Canada", "CA"), ("China", "CN"), ("Japan", "JP"),
    ("India", "IN"), ("Australië", "AU"), ("Brazilië", "BR"), ("Zuid-Afrika", "ZA"),
)  # fmt: skip
VAT_CODES = (
    # id, description, sales code, percentage, default, valid from, valid until
    ("I0", "Inkopen 0%", False, "0.00", False, None, None),
    ("IH21", "Inkopen hoog 21%", False, "21.00", True, None, None),
    ("IL9", "Inkopen laag 9%", False, "9.00", False, "2019-01-01", None),
    ("V0", "Verkopen 0% / vrijgesteld", True, "0.00", False, None, None),
    ("VH21", "Verkopen hoog 21%", True, "21.00", True, None, None),
    ("VL6", "Verkopen laag 6% (tot 2019)", True, "6.00", False, None, "2018-12-31"),
    ("VL9", "Verkopen laag 9%", True, "9.00", False, "2019-01-01", None),
    ("VV", "Verkopen verlegd", True, "0.00", False, None, None),
)
JOURNALS = (
    ("10", "Kas", "Cash"), ("20", "ING Bank", "Bank"), ("21", "Rabobank", "Bank"),
    ("60", "Inkoopboek", "Purchase"), ("70", "Verkoopboek", "Sales"),
    ("90", "Memoriaal", "General"),
)  # fmt: skip
SALES_JOURNAL = "70"
BANK_JOURNAL = "20"
MEMORIAL_JOURNAL = "90"
PAYMENT_CONDITIONS = (
    "30 dagen netto", "14 dagen netto", "Contant", "8 dagen 2% korting, 30 dagen netto",
    "60 dagen netto", "Vooruitbetaling", "Automatische incasso",
)  # fmt: skip
BALANCE, PROFIT_AND_LOSS = 1, 2
LEDGER_ACCOUNTS = (
    # account number, name, type, default VAT code, disabled, RGS code
    (200, "Inventaris", BALANCE, None, False, "BMvaBed"),
    (1000, "Kas", BALANCE, None, False, "BLimKas"),
    (1100, "ING Bank", BALANCE, None, False, "BLimBan"),
    (1110, "Rabobank (opgeheven)", BALANCE, None, True, "BLimBan"),
    (1300, "Debiteuren", BALANCE, None, False, "BVorDeb"),
    (1500, "Te betalen btw", BALANCE, None, False, "BSchBep"),
    (1520, "Te vorderen btw", BALANCE, None, False, "BVorOvr"),
    (1600, "Crediteuren", BALANCE, None, False, "BSchCre"),
    (3000, "Voorraad", BALANCE, None, False, "BVrdHan"),
    (4000, "Lonen en salarissen", PROFIT_AND_LOSS, None, False, "WPerLes"),
    (4300, "Huisvestingskosten", PROFIT_AND_LOSS, "IH21", False, "WBedHui"),
    (4500, "Autokosten", PROFIT_AND_LOSS, "IH21", False, "WBedAut"),
    (4600, "Verkoopkosten", PROFIT_AND_LOSS, "IH21", False, "WBedVkk"),
    (4700, "Algemene kosten", PROFIT_AND_LOSS, "IH21", False, "WBedAlk"),
    (7000, "Inkoopwaarde van de omzet", PROFIT_AND_LOSS, "IH21", False, "WKprInk"),
    (8000, "Omzet hoog tarief", PROFIT_AND_LOSS, "VH21", False, "WOmzNop"),
    (8100, "Omzet laag tarief", PROFIT_AND_LOSS, "VL9", False, "WOmzNop"),
    (8200, "Omzet export", PROFIT_AND_LOSS, "V0", False, "WOmzNop"),
    (8300, "Omzet verlegd", PROFIT_AND_LOSS, "VV", False, "WOmzNop"),
)
REVENUE = ((8000, "VH21"), (8000, "VH21"), (8000, "VH21"), (8100, "VL9"), (8200, "V0"))
COSTS = (4300, 4500, 4600, 4700, 7000)
BANK, DEBTORS_ACCOUNT, CREDITORS_ACCOUNT = 1100, 1300, 1600
SALES_TYPES = (
    ("HOOG", "Verkoop 21% BTW", 8000, "VH21"), ("LAAG", "Verkoop 9% BTW", 8100, "VL9"),
    ("EXPORT", "Export buiten de EU", 8200, "V0"), ("VERL", "Verkoop BTW verlegd", 8300, "VV"),
)  # fmt: skip
COST_CENTERS = (
    ("Algemeen", "ALG"), ("Verkoop", "VRK"), ("Productie", "PRD"), ("Inkoop", "INK"),
    ("Administratie", None),
)  # fmt: skip
COST_UNITS = (
    ("Project Noord", "PN"), ("Project Zuid", "PZ"), ("Onderhoudscontracten", "OC"),
    ("Advies", None),
)  # fmt: skip
CONCEPT, IN_JOURNAL_ENTRY, IN_LEDGER, PAYABLE, PAID, HOLD = 1, 2, 3, 6, 7, 8
INVOICE_STATUSES = (CONCEPT, IN_JOURNAL_ENTRY, IN_LEDGER, PAYABLE, PAID, HOLD)
APPROVAL_ROUTES = (
    ("Standaard", "Eén goedkeurder: de boekhouder."),
    ("Directie", "Directeur keurt facturen boven 5.000 euro goed."),
    ("Project", "Projectleider en daarna de boekhouder."),
)  # fmt: skip
PRODUCTS = (
    ("Koffiebonen", "kg"), ("Onderhoudsbeurt", "stuk"), ("Adviesuur", "uur"),
    ("Kantoorstoel", "stuk"),
    ("Printpapier A4", "doos"), ("Fietsband", "stuk"), ("Bloemstuk", "stuk"), ("Verf wit", "liter"),
    ("Montage", "uur"), ("Beamerhuur", "dag"), ("Stroopwafels", "pak"), ("Laptoptas", "stuk"),
)  # fmt: skip
VARIANTS = ("standaard", "premium", "eco", "XL", "")
BANKS = (
    ("INGB", "INGBNL2A"), ("RABO", "RABONL2U"), ("ABNA", "ABNANL2A"), ("SNSB", "SNSBNL2A"),
    ("TRIO", "TRIONL2U"), ("ASNB", "ASNBNL21"), ("KNAB", "KNABNL2H"), ("BUNQ", "BUNQNL2A"),
)  # fmt: skip
COMMENTS = (
    "Levering alleen op werkdagen.", "Factuur per e-mail sturen.", "Vaste klant sinds 2015.",
    "Let op: ander factuuradres.",
)  # fmt: skip
CHARACTERISTICS = ("Horeca", "Bouw", "Zorg", "Detailhandel", "Regio Noord", "Regio Zuid")


def natural_size(resource: str) -> int | None:
    """Return the size of a resource whose data is a fixed list (None when it has none)."""
    fixed: Mapping[str, Sequence[Any]] = {
        "countries": COUNTRIES,
        "vatcodes": VAT_CODES,
        "journals": JOURNALS,
        "paymentconditions": PAYMENT_CONDITIONS,
        "ledgeraccounts": LEDGER_ACCOUNTS,
        "salestypes": SALES_TYPES,
        "approvalroutes": APPROVAL_ROUTES,
        "costcenters": COST_CENTERS,
        "costunits": COST_UNITS,
    }
    values = fixed.get(resource)
    return None if values is None else len(values)


@dataclass
class Context:
    """What a generator needs: a seeded RNG, the size, the first id and other tables."""

    rng: random.Random
    size: int
    first_id: int
    ids: Callable[[str], list[int]]
    rows: Callable[[str], list[Row]]
    by_id: Callable[[str], Mapping[Any, Row]]
    _known: dict[str, list[int]] = field(default_factory=dict)

    def id_range(self) -> range:
        """Return the ids this generator hands out."""
        return range(self.first_id, self.first_id + self.size)

    def pick(self, resource: str) -> int | None:
        """Return a random existing id of ``resource`` (None when it is empty)."""
        ids = self._known.get(resource)
        if ids is None:
            ids = self._known[resource] = self.ids(resource)
        return ids[int(self.rng.random() * len(ids))] if ids else None


def company_name(rng: random.Random) -> str:
    """Return a Dutch company name such as ``Bakkerij De Graaf B.V.``."""
    surname = _any(rng, SURNAMES)
    name = f"{_any(rng, TRADES)} {surname[:1].upper()}{surname[1:]} {_any(rng, FORMS)}"
    return name.strip()


def _any(rng: random.Random, values: Sequence[str]) -> str:
    """Pick one value; ``rng.choice`` is several times slower for 100,000 rows."""
    return values[int(rng.random() * len(values))]


def _number(rng: random.Random, low: int, high: int) -> int:
    return low + int(rng.random() * (high - low + 1))


def _slug(text: str) -> str:
    ascii_text = text.lower().encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text if ch.isalnum())[:30] or "info"


_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"
_UNUSED_POSTCODE_LETTERS = ("SA", "SD", "SS")  # never handed out by PostNL


def _postal_code(rng: random.Random) -> str:
    while True:
        letters = _any(rng, _LETTERS) + _any(rng, _LETTERS)
        if letters not in _UNUSED_POSTCODE_LETTERS:
            return f"{_number(rng, 1011, 9999)} {letters}"


def iban(bank: str, account: str, country: str = "NL") -> str:
    """Return the IBAN of a domestic account, with its ISO 7064 mod-97 check digits."""
    digits = "".join(str(int(ch, 36)) for ch in bank + account + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bank}{account}"


def iban_is_valid(text: str) -> bool:
    """Tell whether an IBAN's check digits hold (mod 97 of the rearranged number is 1)."""
    rearranged = text[4:] + text[:4]
    return rearranged.isalnum() and int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def _stamp(seconds: int) -> str:
    """Return ``NAIVE_EPOCH`` + ``seconds`` as ``2024-01-01T08:00:00.000Z``.

    Two lookups in tables built once (the hours of the span, the seconds of an hour) instead
    of a datetime and its ``isoformat``: generating rows made 200,000 of these per 100,000.
    """
    hour, second = divmod(seconds, 3600)
    hours, in_hour = _stamp_tables()
    if 0 <= hour < len(hours):
        return hours[hour] + in_hour[second]
    return (NAIVE_EPOCH + timedelta(seconds=seconds)).isoformat(timespec="milliseconds") + "Z"


@functools.cache
def _stamp_tables() -> tuple[list[str], list[str]]:
    """Return the stamps' text up to the hour (``2024-01-01T08``) and after it (``:00:00.000Z``)."""
    first = NAIVE_EPOCH.hour  # hour n of the span is hour first + n of the epoch's day
    span = (SPAN_SECONDS + STAMP_LAG_SECONDS) // 3600 + 1
    days = [(NAIVE_EPOCH.date() + timedelta(days=n)).isoformat() for n in range(span // 24 + 2)]
    hours = [f"{days[(first + n) // 24]}T{(first + n) % 24:02d}" for n in range(span)]
    in_hour = [f":{minute:02d}:{second:02d}.000Z" for minute in range(60) for second in range(60)]
    return hours, in_hour


def _stamps(rng: random.Random) -> tuple[str, str]:
    created = int(rng.random() * SPAN_SECONDS)
    changed = created + int(rng.random() * STAMP_LAG_SECONDS)
    return _stamp(created), _stamp(changed)


def _money(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(int(rng.uniform(low, high) * 100)) * CENT


_MAILBOXES = ("info", "administratie", "facturen")
POOL = 1 << 16
"""Every pool of row values has this many entries, so one 16-bit draw picks from it."""
_KEEP_CHANGE = round(0.8 * POOL)  # a draw below this: the row has a dateLastChange


def _spread(values: Sequence[_T], size: int = POOL) -> list[_T]:
    """Repeat ``values`` to ``size`` entries, each ``size // len(values)`` times or once more."""
    return (list(values) * (size // len(values) + 1))[:size]


def _some(values: Sequence[_T], share: float, other: _U) -> list[_T | _U]:
    """Return a pool: ``share`` of it cycles through ``values``, the rest is ``other``."""
    count = round(share * POOL)
    return [*_spread(values, count), *[other] * (POOL - count)]


def _draws(rng: random.Random, columns: int, size: int, typecode: str = "H") -> list[array[int]]:
    """Return ``columns`` columns of ``size`` uniform draws (16 bits, or 32 for ``"I"``).

    One call into the RNG for all of them: ``randbytes`` is little-endian, the array native.
    """
    values = array(typecode)
    values.frombytes(rng.randbytes(columns * size * values.itemsize))
    if sys.byteorder == "big":
        values.byteswap()
    return [values[column::columns] for column in range(columns)]


def _pick(pool: Sequence[_T], draws: Sequence[int]) -> Sequence[_T]:
    """Look each draw up in ``pool`` (16-bit draws in a pool of ``POOL`` entries), at C speed.

    A whole column at a time: interleaving twenty look-ups per row cost twice as much. One
    ``itemgetter`` of all the draws looks them up in one C loop, about a third cheaper than
    ``map`` over the pool's ``__getitem__`` (which calls a method per draw); it returns one
    value, not a tuple, for a single draw.
    """
    if len(draws) < 2:
        return [pool[draw] for draw in draws]
    values: tuple[_T, ...] = operator.itemgetter(*draws)(pool)
    return values


def _below(limit: int, draws: Iterable[int]) -> Iterator[int]:
    """Map 32-bit draws to ``range(limit)``; the bias is ``limit / 2**32`` at most."""
    return map(operator.mod, draws, itertools.repeat(limit))


_Who = tuple[str, str, str, str | None, str | None, str | None]
_Place = tuple[str, str | None, str, str]
_Contact = tuple[str, str | None, str | None]
_Terms = tuple[bool, str, str | None, str | None, bool, bool]


@dataclass(frozen=True)
class _Pools:
    """Pools of ``POOL`` entries the relation generator picks from (built once, fixed seed).

    An optional field's values hold None in the share of entries where the field is empty,
    so one draw decides both whether it is filled and with what. Fields that do not depend
    on each other share a pool of tuples, each part drawn on its own when the pool is built:
    one look-up per row fills four fields.
    """

    who: list[_Who]  # name, e-mail, kind (B: company, P: person), attention of, CoC, VAT number
    accounts: list[tuple[str, str, str]]  # IBAN, BIC, BBAN
    places: list[_Place]  # address, post box, post code, city
    contacts: list[_Contact]  # phone, fax, mobile
    terms: list[_Terms]  # direct debit, payment method, comments, trait, blocked, no reminder


@functools.cache
def _pools() -> _Pools:
    """Return the pools; built once per process from a fixed seed (~0.1-0.2 s)."""
    rng = random.Random(0)  # noqa: S311 (fixed pool, not a secret)
    random_ = rng.random
    people = [f"{first} {last}" for first in FIRST_NAMES for last in SURNAMES]
    companies = [
        f"{trade} {last[:1].upper()}{last[1:]} {form}".strip()
        for trade in TRADES
        for last in SURNAMES
        for form in FORMS
    ]
    names = [(name, _slug(name), "B") for name in companies]
    names += [(name, _slug(name), "P") for name in people]
    cocs = [f"{10000000 + int(random_() * 90000000)}" for _ in range(4096)]
    vats = [f"NL{100000000 + int(random_() * 900000000)}B{1 + int(random_() * 99):02d}"
            for _ in range(4096)]  # fmt: skip
    mailboxes = [tuple(f"{box}@{domain}.nl" for box in _MAILBOXES) for _, domain, _ in names]
    box_draws, contact_draws = _draws(rng, 2, POOL, "I")
    who: list[_Who] = [
        (name, emails[box], kind, contact, coc, vat)
        if kind == "B"
        else (name, emails[box], kind, None, None, None)
        for (name, _, kind), emails, box, contact, coc, vat in zip(
            _spread(names),
            _spread(mailboxes),
            _below(len(_MAILBOXES), box_draws),
            _pick(people, list(_below(len(people), contact_draws))),
            _spread(cocs),
            _spread(vats),
            strict=True,
        )
    ]
    accounts = []
    for _ in range(4096):
        bank, bic = BANKS[int(random_() * len(BANKS))]
        account = f"{int(random_() * 10**10):010d}"
        accounts.append((iban(bank, account), bic, bank + account))
    phones = [f"0{10 + int(random_() * 70)}-{1000000 + int(random_() * 9000000)}"
              for _ in range(4096)]  # fmt: skip
    mobiles = [f"06-{10000000 + int(random_() * 90000000)}" for _ in range(4096)]
    boxes = [f"Postbus {100 + int(random_() * 9000)}" for _ in range(512)]
    draws = iter(_draws(rng, 13, POOL))
    places = zip(
        _pick(_spread([f"{street} {number}" for street in STREETS for number in range(1, 120)]),
              next(draws)),
        _pick(_some(boxes, 0.05, None), next(draws)),
        _pick(_spread([_postal_code(rng) for _ in range(4096)]), next(draws)),
        _pick(_spread(CITIES), next(draws)),
        strict=True,
    )  # fmt: skip
    contacts = zip(
        _pick(_spread(phones), next(draws)),
        _pick(_some(phones[::-1], 0.1, None), next(draws)),
        _pick(_some(mobiles, 0.5, None), next(draws)),
        strict=True,
    )
    payments = _pick(_some([(True, "INCASSO")], 0.3, (False, "OVERBOEKING")), next(draws))
    terms = zip(
        payments,
        _pick(_some(COMMENTS, 0.1, None), next(draws)),
        _pick(_some(CHARACTERISTICS, 0.3, None), next(draws)),
        _pick(_some([True], 0.03, False), next(draws)),
        _pick(_some([True], 0.05, False), next(draws)),
        strict=True,
    )
    return _Pools(
        who=who,
        accounts=_spread(accounts),
        places=list(places),
        contacts=list(contacts),
        terms=[
            (debit, method, comment, trait, blocked, quiet)
            for (debit, method), comment, trait, blocked, quiet in terms
        ],
    )


def _added(hours: Iterable[int], draws: Iterable[int]) -> list[str]:
    """Return the stamps of 32-bit draws of an hour of the span and of a second in the hour.

    A list comprehension: a quarter cheaper than a chain of ``map`` calls (mod, look-up, mod,
    look-up, concatenation), each of which calls a function per value.
    """
    text, in_hour = _stamp_tables()
    return [text[hour % _SPAN_HOURS] + in_hour[second % 3600]
            for hour, second in zip(hours, draws, strict=True)]  # fmt: skip


def _changes(
    hours: Iterable[int], lags: Iterable[int], draws: Iterable[int], keep: Iterable[int]
) -> list[str | None]:
    """Return the stamps of the rows' changes: None where ``keep`` is ``_KEEP_CHANGE`` or more.

    A change comes 1 to 2159 hours after its row's hour (32-bit draws of ``hours``, as
    ``_added`` takes them), at a second of its own: it is always later than the row's
    creation, by less than STAMP_LAG_SECONDS.
    """
    text, in_hour = _stamp_tables()
    later = text[1:]  # later[n] is text[n + 1]
    return [later[hour % _SPAN_HOURS + lag % _LAG_HOURS] + in_hour[second % 3600]
            if keep_ < _KEEP_CHANGE else None
            for hour, lag, second, keep_ in zip(hours, lags, draws, keep, strict=True)]  # fmt: skip


_SPAN_HOURS = SPAN_SECONDS // 3600
_LAG_HOURS = STAMP_LAG_SECONDS // 3600 - 1


@functools.cache
def _templates(number: str, kind: str) -> list[Row]:
    """Return a pool of rows to copy: one per entry of the terms pool, its six fields set.

    Entries with the same terms share one dict (there are at most 2 x 5 x 7 x 2 x 2 = 280),
    so a row starts as a copy of its entry's template: the constants and the terms come
    with the copy, in the document's order of fields, and only the other 21 fields are
    set one by one. Copying a dict is a quarter cheaper than a 30-key literal, which
    CPython builds key by key, growing the dict three times.
    """
    template: Row = {
        "id": None, "name": None, number: None, "address": None, "addressLine2": None,
        "addressLine3": None, "attentionTo": None, "postCode": None, "city": None,
        "countryCode": "NL", "phoneNumber": None, "faxNumber": None, "mobileNumber": None,
        "emailAddress": None, "iban": None, "bic": None, "bban": None, "directDebit": None,
        "cocNumber": None, "vatNumber": None, kind: None, "paymentConditionId": None,
        "paymentMethodId": None, "comments": None, "characteristic4": None,
        "characteristic5": None, "blocked": None, "noReminder": None, "dateAdded": None,
        "dateLastChange": None,
    }  # fmt: skip
    made: dict[_Terms, Row] = {}
    for terms in set(_pools().terms):
        debit, method, comment, trait, blocked, quiet = terms
        made[terms] = {**template, "directDebit": debit, "paymentMethodId": method,
                       "comments": comment, "characteristic4": trait, "blocked": blocked,
                       "noReminder": quiet}  # fmt: skip
    return [made[terms] for terms in _pools().terms]


def _relations(ctx: Context, number: str, kind: str) -> dict[int, Row]:
    """Return Dutch companies and people with address, bank account and registrations.

    Column by column: two calls into the RNG draw every number the rows need, each column is
    a look-up of its draws in a pool at C speed, and one loop makes the rows from the
    columns, each a copy of a template that holds the terms (100,000 debtors in a third of
    the time of drawing value by value, and about 1.5 times the time of building as many
    dicts with ``dict.fromkeys``). The same seed gives the same rows.
    """
    pools, size, first = _pools(), ctx.size, ctx.first_id
    who, account, place, contact, terms, conditions_drawn, keep = _draws(ctx.rng, 7, size)
    hour, second, lag, later = _draws(ctx.rng, 4, size, "I")
    conditions = ctx.ids("paymentconditions")
    rows: dict[int, Row] = {}
    columns = zip(
        range(first, first + size),
        list(map(str, range(1001, 1001 + size))),
        _pick(pools.who, who),
        _pick(pools.accounts, account),
        _pick(pools.places, place),
        _pick(pools.contacts, contact),
        _pick(_templates(number, kind), terms),
        _pick(_spread(conditions) if conditions else [None] * POOL, conditions_drawn),
        _added(hour, second),
        _changes(hour, lag, later, keep),
        strict=True,
    )
    for (row_id, text, (name, email, letter, attention, coc, vat), (iban_, bic, bban),
         (street, box, code, town), (phone, fax, mobile), template, condition, added,
         changed) in columns:  # fmt: skip
        row = template.copy()
        row["id"] = row_id
        row["name"] = name
        row[number] = text
        row["address"] = street
        row["addressLine2"] = box
        row["attentionTo"] = attention
        row["postCode"] = code
        row["city"] = town
        row["phoneNumber"] = phone
        row["faxNumber"] = fax
        row["mobileNumber"] = mobile
        row["emailAddress"] = email
        row["iban"] = iban_
        row["bic"] = bic
        row["bban"] = bban
        row["cocNumber"] = coc
        row["vatNumber"] = vat
        row[kind] = letter
        row["paymentConditionId"] = condition
        row["dateAdded"] = added
        row["dateLastChange"] = changed
        rows[row_id] = row
    return rows


def _debtors(ctx: Context) -> Rows:
    return _relations(ctx, "customerNumber", "debtorKindId")


def _creditors(ctx: Context) -> Rows:
    return _relations(ctx, "creditorNumber", "creditorKindId")


def _fixed(values: Sequence[Any], ctx: Context, make: Callable[[int, Any], Row]) -> Iterator[Row]:
    for index, row_id in enumerate(ctx.id_range()):
        if index < len(values):
            yield make(row_id, values[index])
        else:
            yield make(row_id, None)


def _countries(ctx: Context) -> Iterator[Row]:
    def make(row_id: int, value: tuple[str, str] | None) -> Row:
        name, code = value or (f"Land {row_id}", f"X{row_id % 100:02d}")
        return {"id": row_id, "name": name, "code": code.ljust(3)}

    return _fixed(COUNTRIES, ctx, make)


def _vat_codes(ctx: Context) -> Iterator[Row]:
    extra = [(f"X{n:03d}", f"Btw-code {n}", True, "0.00", False, None, None)
             for n in range(max(0, ctx.size - len(VAT_CODES)))]  # fmt: skip
    for code, text, sales, pct, default, since, until in [*VAT_CODES, *extra][: ctx.size]:
        yield {"id": code, "description": text, "salesCode": sales, "percentage": Decimal(pct),
               "isDefault": default, "validFrom": since, "validUntil": until,
               "countryCode": "NL"}  # fmt: skip


def _journals(ctx: Context) -> Iterator[Row]:
    extra = [(f"9{n + 1:02d}", f"Memoriaal {n + 1}", "General")
             for n in range(max(0, ctx.size - len(JOURNALS)))]  # fmt: skip
    for code, text, kind in [*JOURNALS, *extra][: ctx.size]:
        yield {"id": code, "description": text, "type": kind}


def _payment_conditions(ctx: Context) -> Iterator[Row]:
    def make(row_id: int, value: str | None) -> Row:
        return {"id": row_id, "description": value or f"{row_id} dagen netto"}

    return _fixed(PAYMENT_CONDITIONS, ctx, make)


def _ledger_accounts(ctx: Context) -> Iterator[Row]:
    extra = [(4800 + n, f"Overige kosten {n + 1}", PROFIT_AND_LOSS, "IH21", False, "WBedOvr")
             for n in range(max(0, ctx.size - len(LEDGER_ACCOUNTS)))]  # fmt: skip
    for number, text, kind, vat, disabled, rgs in [*LEDGER_ACCOUNTS, *extra][: ctx.size]:
        yield {"id": number, "description": text, "type": kind, "vatCode": vat,
               "disabled": disabled, "rcsfi": rgs}  # fmt: skip


def _sales_types(ctx: Context) -> Iterator[Row]:
    def make(row_id: int, value: tuple[str, str, int, str] | None) -> Row:
        code, text, ledger, vat = value or (f"ST{row_id}", f"Verkoopsoort {row_id}", 8000, "VH21")
        return {"id": row_id, "code": code, "description": text, "ledgerAccountId": ledger,
                "vatCode": vat}  # fmt: skip

    return _fixed(SALES_TYPES, ctx, make)


def _approval_routes(ctx: Context) -> Iterator[Row]:
    def make(row_id: int, value: tuple[str, str] | None) -> Row:
        name, text = value or (f"Route {row_id}", "Extra goedkeuringsroute.")
        return {"id": row_id, "name": name, "description": text, "active": True}

    return _fixed(APPROVAL_ROUTES, ctx, make)


def _cost_objects(values: Sequence[tuple[str, str | None]], ctx: Context) -> Iterator[Row]:
    def make(row_id: int, value: tuple[str, str | None] | None) -> Row:
        text, code = value or (f"Overig {row_id}", None)
        return {"id": row_id, "description": text, "conversionCode": code}

    return _fixed(values, ctx, make)


def _cost_centers(ctx: Context) -> Iterator[Row]:
    return _cost_objects(COST_CENTERS, ctx)


def _cost_units(ctx: Context) -> Iterator[Row]:
    return _cost_objects(COST_UNITS, ctx)


def _articles(ctx: Context) -> Iterator[Row]:
    rng = ctx.rng
    for row_id in ctx.id_range():
        product, unit = rng.choice(PRODUCTS)
        price = _money(rng, 2, 400)
        created, changed = _stamps(rng)
        yield {
            "id": row_id,
            "code": f"ART-{row_id}",
            "description": f"{product} {rng.choice(VARIANTS)}".strip(),
            "salesTypeId": ctx.pick("salestypes"),
            "unit": unit,
            "price": price,
            "purchasePrice": (price * Decimal("0.6")).quantize(CENT),
            "currentStock": Decimal(rng.randint(0, 500)).quantize(CENT),
            "active": row_id % 7 != 3,  # about one in seven is retired
            "createdDate": created,
            "changedDate": changed,
        }


def vat_rates(rows: Sequence[Row]) -> dict[str, Decimal]:
    """Map VAT codes to their percentage."""
    return {row["id"]: row["percentage"] for row in rows}


def vat_of(amount: Decimal, rate: Decimal) -> Decimal:
    """Return the VAT on ``amount`` at ``rate`` percent, rounded half up to cents."""
    return (amount * rate / 100).quantize(CENT, ROUND_HALF_UP)


def with_vat(line: Row, rates: Mapping[str, Decimal]) -> Row:
    """Return a sales line whose ``vatAmount`` is filled in from its VAT code when missing."""
    if line.get("vatAmount") is None:
        rate = rates.get(line.get("vatCode") or "", Decimal(0))
        line = {**line, "vatAmount": vat_of(line["amount"], rate)}
    return line


def sales_totals(lines: Sequence[Mapping[str, Any]]) -> Row:
    """Return the header amounts of sales lines: their sums, and incl. = excl. + VAT."""
    excl = sum((line["amount"] for line in lines), Decimal("0.00"))
    vat = sum((line["vatAmount"] or Decimal("0.00") for line in lines), Decimal("0.00"))
    return {"amountExclVat": excl, "vatAmount": vat, "amountInclVat": excl + vat}


def invoice_totals(
    lines: Sequence[Mapping[str, Any]], rates: Mapping[str, Decimal]
) -> tuple[Decimal, Decimal, Decimal]:
    """Return (excl. VAT, VAT, incl. VAT) of quantity-times-price lines, rounding each to cents."""
    excl = vat = Decimal("0.00")
    for line in lines:
        amount = (line["quantity"] * line["price"]).quantize(CENT, ROUND_HALF_UP)
        excl += amount
        vat += vat_of(amount, rates.get(line.get("vatCode") or "", Decimal(0)))
    return excl, vat, excl + vat


def _invoice_date(rng: random.Random) -> date:
    return date(2024, 1, 1) + timedelta(days=int(rng.random() * 700))


def _sales_line(ctx: Context, rates: Mapping[str, Decimal]) -> Row:
    random_ = ctx.rng.random
    ledger, vat_code = REVENUE[int(random_() * len(REVENUE))]
    amount = _money(ctx.rng, 5, 2500)
    return {
        "id": 0,  # numbered by the caller
        "description": PRODUCTS[int(random_() * len(PRODUCTS))][0],
        "amount": amount,
        "ledgerAccountId": ledger,
        "vatCode": vat_code,
        "vatAmount": vat_of(amount, rates[vat_code]),
        "costCenterId": ctx.pick("costcenters") if random_() < 0.3 else None,
        "costUnitId": ctx.pick("costunits") if random_() < 0.2 else None,
    }


def _status(rng: random.Random, day: date) -> int:
    """Return a plausible status: old invoices are mostly paid, new ones payable or concept."""
    roll = rng.random()
    if day < date(2025, 6, 1):
        return PAID if roll < 0.85 else (PAYABLE if roll < 0.95 else HOLD)
    choices = (CONCEPT, CONCEPT, IN_JOURNAL_ENTRY, IN_LEDGER, PAYABLE, PAYABLE, PAYABLE, HOLD)
    return choices[int(roll * len(choices))]


def _sales_invoices(ctx: Context) -> Iterator[Row]:
    rng, rates = ctx.rng, vat_rates(ctx.rows("vatcodes"))
    debtors = ctx.by_id("debtors")  # not a dict of its own: there may be 100,000
    numbers: dict[int, int] = {}
    next_line = 1
    days = sorted(_invoice_date(rng) for _ in ctx.id_range())  # numbered in date order
    for row_id, day in zip(ctx.id_range(), days, strict=True):
        status = _status(rng, day)
        debtor = debtors.get(ctx.pick("debtors") or 0)
        number = None
        if status != CONCEPT:
            numbers[day.year] = numbers.get(day.year, 0) + 1
            number = f"{day.year}-{numbers[day.year]:05d}"
        lines = [_sales_line(ctx, rates) for _ in range(rng.randint(1, 5))]
        for line in lines:
            line["id"], next_line = next_line, next_line + 1
        yield {
            "id": row_id,
            "invoiceNumber": number,
            "date": day.isoformat(),
            "description": f"Factuur {rng.choice(('levering', 'diensten', 'onderhoud'))}",
            "debtorId": debtor["id"] if debtor else None,
            "debtorCustomerNumber": debtor["customerNumber"] if debtor else None,
            "journalId": SALES_JOURNAL,
            "bookyear": day.year,
            "bookperiod": day.month,
            "status": status,
            "paymentConditionId": debtor["paymentConditionId"] if debtor else None,
            "paymentDueDate": (day + timedelta(days=30)).isoformat(),
            **sales_totals(lines),
            "lines": lines,
            "files": [],
        }


def _purchase_invoices(ctx: Context) -> Iterator[Row]:
    rng, rates = ctx.rng, vat_rates(ctx.rows("vatcodes"))
    for row_id in ctx.id_range():
        day = _invoice_date(rng)
        created, changed = _stamps(rng)
        lines = [
            {
                "description": rng.choice(PRODUCTS)[0],
                "quantity": Decimal(rng.randint(1, 20)).quantize(CENT),
                "price": _money(rng, 5, 500),
                "vatCode": rng.choice(("IH21", "IH21", "IH21", "IL9")),
                "ledgerAccountId": rng.choice(COSTS),
            }
            for _ in range(rng.randint(1, 3))
        ]
        excl, vat, incl = invoice_totals(lines, rates)
        yield {
            "id": row_id,
            "creditorId": ctx.pick("creditors"),
            "invoiceNumber": f"INV{rng.randint(10000, 999999)}",
            "invoiceDate": day.isoformat(),
            "dueDate": (day + timedelta(days=30)).isoformat(),
            "description": rng.choice(("Kantoorartikelen", "Huur", "Brandstof", "Inkoop")),
            "approvalRouteId": ctx.pick("approvalroutes"),
            "lines": lines,
            "amountExclVat": excl,
            "vatAmount": vat,
            "amountInclVat": incl,
            "createdDate": created,
            "changedDate": changed,
        }


def _journal_line(ledger: int, amount: Decimal, day: str, text: str) -> Row:
    return {
        "id": 0,  # numbered by the caller
        "amount": amount,
        "bookingDate": day,
        "description": text,
        "ledgerAccountId": ledger,
        "debtorId": None,
        "creditorId": None,
        "salesInvoiceId": None,
        "purchaseInvoiceId": None,
        "vatAmount": None,
        "vatCode": None,
        "costCenterId": None,
    }


def _memorial_lines(ctx: Context, day: str) -> list[Row]:
    """Return two to four lines that add up to zero: debits on costs, one credit."""
    rng = ctx.rng
    debits = [_money(rng, 10, 2500) for _ in range(rng.randint(1, 3))]
    lines = [_journal_line(rng.choice(COSTS), amount, day, "Kosten") for amount in debits]
    for line in lines:
        line["costCenterId"] = ctx.pick("costcenters") if rng.random() < 0.4 else None
    total = sum(debits, Decimal("0.00"))
    lines.append(_journal_line(rng.choice((1000, 1600)), -total, day, "Tegenboeking"))
    return lines


def _bank_lines(invoice: Row, day: str) -> list[Row]:
    """Return the receipt of a paid sales invoice: bank debit, debtors credit."""
    amount = invoice["amountInclVat"]
    received = _journal_line(BANK, amount, day, f"Ontvangst {invoice['invoiceNumber']}")
    settled = _journal_line(DEBTORS_ACCOUNT, -amount, day, f"Factuur {invoice['invoiceNumber']}")
    settled.update(debtorId=invoice["debtorId"], salesInvoiceId=invoice["id"])
    return [received, settled]


def _journal_entries(ctx: Context) -> Iterator[Row]:
    rng = ctx.rng
    paid = [row for row in ctx.rows("salesinvoiceswithlines") if row["status"] == PAID]
    next_line, balance = 1, Decimal("25000.00")
    opening: Decimal | None
    closing: Decimal | None
    days = sorted(_invoice_date(rng) for _ in ctx.id_range())
    for row_id, day in zip(ctx.id_range(), days, strict=True):
        invoice = paid[int(rng.random() * len(paid))] if paid and rng.random() < 0.4 else None
        if invoice is not None:
            journal, lines = BANK_JOURNAL, _bank_lines(invoice, day.isoformat())
            opening, balance = balance, balance + invoice["amountInclVat"]
            closing = balance
            text, document = "Bankafschrift", f"AFS-{day.year}-{row_id % 1000:03d}"
        else:
            journal, lines = MEMORIAL_JOURNAL, _memorial_lines(ctx, day.isoformat())
            opening = closing = None
            text = rng.choice(("Memoriaal", "Afschrijving", "Correctie", "Kasopname"))
            document = f"MEM-{day.year}-{row_id % 1000:03d}"
        for line in lines:
            line["id"], next_line = next_line, next_line + 1
        yield {
            "id": row_id,
            "bookyear": day.year,
            "bookperiod": day.month,
            "date": day.isoformat(),
            "journalId": journal,
            "description": text,
            "sourceDocumentNumber": document,
            "state": 1,
            "openingBalance": opening,
            "closingBalance": closing,
            "lines": lines,
        }


def _journal_log(ctx: Context) -> Iterator[Row]:
    events: list[tuple[str, int, str]] = []
    for entry_id in ctx.ids("journalentrieswithlines"):
        created, changed = _stamps(ctx.rng)
        events.append((created, entry_id, "Insert"))
        if ctx.rng.random() < 0.3:
            events.append((changed, entry_id, "Update"))
    events.extend(_deleted_entries(ctx))
    events.sort()
    for offset, (changed, entry_id, action) in enumerate(events):
        yield {"id": ctx.first_id + offset, "journalEntryId": entry_id,
               "changedDate": changed, "action": action}  # fmt: skip


def _deleted_entries(ctx: Context) -> Iterator[tuple[str, int, str]]:
    """Yield the history of a few entries that were booked and later removed."""
    ids = ctx.ids("journalentrieswithlines")
    first = (ids[0] if ids else 900001) - 1
    for offset in range(max(1, len(ids) // 20)):
        created, changed = _stamps(ctx.rng)
        yield created, first - offset, "Insert"
        yield changed, first - offset, "Delete"


def _ledger_grouped(ctx: Context) -> Iterator[Row]:
    rng, accounts = ctx.rng, ctx.rows("ledgeraccounts")
    for offset, row_id in enumerate(ctx.id_range()):
        account = accounts[(offset // 12) % len(accounts)] if accounts else None
        debit, credit = _money(rng, 0, 20000), _money(rng, 0, 20000)
        yield {
            "id": row_id,
            "ledgerAccountId": account["id"] if account else None,
            "ledgerAccountCode": str(account["id"]) if account else None,
            "year": 2025 - offset // (12 * max(1, len(accounts))),
            "period": offset % 12 + 1,
            "debit": debit,
            "credit": credit,
            "balance": debit - credit,
        }


def _nothing(ctx: Context) -> Iterator[Row]:
    return iter(())


GENERATORS: dict[str, Callable[[Context], Rows]] = {
    "countries": _countries,
    "vatcodes": _vat_codes,
    "journals": _journals,
    "paymentconditions": _payment_conditions,
    "costcenters": _cost_centers,
    "costunits": _cost_units,
    "ledgeraccounts": _ledger_accounts,
    "salestypes": _sales_types,
    "approvalroutes": _approval_routes,
    "articles": _articles,
    "debtors": _debtors,
    "creditors": _creditors,
    "salesinvoiceswithlines": _sales_invoices,
    "purchaseinvoices": _purchase_invoices,
    "journalentrieswithlines": _journal_entries,
    "journalentrylog": _journal_log,
    "ledgergrouped": _ledger_grouped,
    "SalesOrderWithLines": _nothing,
}
"""Row generators by table; each gives rows in ascending id order (fields in document order)."""
