"""Deterministic seeded sample data for the emulator: Dutch companies, people and books."""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

__all__ = ["GENERATORS", "Context", "company_name", "invoice_totals", "natural_size"]

Row = dict[str, Any]
CENT = Decimal("0.01")
NAIVE_EPOCH = datetime(2024, 1, 1, 8, 0)
SPAN_SECONDS = 2 * 365 * 24 * 3600

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
    ("H21", "BTW hoog 21%", "21.00"), ("L9", "BTW laag 9%", "9.00"), ("G0", "BTW 0%", "0.00"),
    ("VR", "BTW verlegd", "0.00"), ("VRIJ", "Vrijgesteld van BTW", "0.00"),
)  # fmt: skip
PAYMENT_CONDITIONS = (
    ("30 dagen netto", 30, None, None), ("14 dagen netto", 14, None, None),
    ("Contant", 0, None, None), ("8 dagen 2% korting, 30 dagen netto", 30, "2.00", 8),
    ("60 dagen netto", 60, None, None), ("Vooruitbetaling", 0, None, None),
)  # fmt: skip
LEDGER_ACCOUNTS = (
    ("0100", "Bedrijfsgebouwen", "Balance", None), ("0300", "Inventaris", "Balance", None),
    ("1000", "Kas", "Balance", None), ("1100", "Bank", "Balance", None),
    ("1300", "Debiteuren", "Balance", None), ("1400", "Te vorderen BTW", "Balance", None),
    ("1500", "Af te dragen BTW", "Balance", None), ("1600", "Crediteuren", "Balance", None),
    ("3000", "Voorraad", "Balance", None), ("4000", "Lonen en salarissen", "ProfitAndLoss", None),
    ("4300", "Huisvestingskosten", "ProfitAndLoss", 1), ("4500", "Autokosten", "ProfitAndLoss", 1),
    ("4600", "Verkoopkosten", "ProfitAndLoss", 1), ("4700", "Algemene kosten", "ProfitAndLoss", 1),
    ("7000", "Inkoopwaarde van de omzet", "ProfitAndLoss", 1),
    ("8000", "Omzet hoog tarief", "ProfitAndLoss", 1),
    ("8100", "Omzet laag tarief", "ProfitAndLoss", 2),
    ("8200", "Omzet export", "ProfitAndLoss", 3), ("8300", "Omzet verlegd", "ProfitAndLoss", 4),
)  # fmt: skip
SALES_TYPES = (
    ("HOOG", "Verkoop 21% BTW", "8000", 1), ("LAAG", "Verkoop 9% BTW", "8100", 2),
    ("EXPORT", "Export buiten de EU", "8200", 3), ("VERL", "Verkoop BTW verlegd", "8300", 4),
)  # fmt: skip
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
JOURNALS = ("MEM", "BANK", "KAS", "VERK", "INK")


def natural_size(resource: str) -> int | None:
    """Return the size of a resource whose data is a fixed list (None when it has none)."""
    fixed: Mapping[str, Sequence[Any]] = {
        "countries": COUNTRIES,
        "vatcodes": VAT_CODES,
        "paymentconditions": PAYMENT_CONDITIONS,
        "ledgeraccounts": LEDGER_ACCOUNTS,
        "salestypes": SALES_TYPES,
        "approvalroutes": APPROVAL_ROUTES,
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


def _postal_code(rng: random.Random) -> str:
    return f"{_number(rng, 1011, 9999)} {_any(rng, _LETTERS)}{_any(rng, _LETTERS)}"


def _stamp(seconds: int) -> str:
    return (NAIVE_EPOCH + timedelta(seconds=seconds)).isoformat(timespec="milliseconds") + "Z"


def _stamps(rng: random.Random) -> tuple[str, str]:
    created = int(rng.random() * SPAN_SECONDS)
    changed = created + int(rng.random() * 90 * 24 * 3600)
    return _stamp(created), _stamp(changed)


def _money(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(int(rng.uniform(low, high) * 100)) * CENT


_MAILBOXES = ("info", "administratie", "facturen")


@functools.cache
def _pools() -> tuple[list[tuple[str, str]], list[str], list[str], list[str]]:
    """Return fixed pools of (name, e-mail domain), contacts, addresses and postal codes.

    Picking from pools keeps 100,000 rows within a second or two; the pools are built once
    from a fixed seed, so they never change the determinism of the data.
    """
    rng = random.Random(0)  # noqa: S311 (fixed pool, not a secret)
    people = [f"{first} {last}" for first in FIRST_NAMES for last in SURNAMES]
    companies = [
        f"{trade} {last[:1].upper()}{last[1:]} {form}".strip()
        for trade in TRADES
        for last in SURNAMES
        for form in FORMS
    ]
    names = [(name, _slug(name)) for name in companies + people]
    addresses = [f"{street} {number}" for street in STREETS for number in range(1, 120)]
    postcodes = [_postal_code(rng) for _ in range(5000)]
    return names, people, addresses, postcodes


def _relation(ctx: Context, row_id: int, extra: Row) -> Row:
    rng, (names, people, addresses, postcodes) = ctx.rng, _pools()
    random_ = rng.random
    name, domain = names[int(random_() * len(names))]
    created, changed = _stamps(rng)
    return {
        "id": row_id,
        "name": name,
        "contact": people[int(random_() * len(people))],
        "email": f"{_MAILBOXES[int(random_() * 3)]}@{domain}.nl",
        "phone": f"0{10 + int(random_() * 70)}-{1000000 + int(random_() * 9000000)}",
        "address": addresses[int(random_() * len(addresses))],
        "postalCode": postcodes[int(random_() * len(postcodes))],
        "city": CITIES[int(random_() * len(CITIES))],
        "countryId": 1 if random_() < 0.9 else ctx.pick("countries"),
        "vatNumber": f"NL{100000000 + int(random_() * 900000000)}B0{row_id % 9 + 1}",
        "chamberOfCommerceNumber": f"{10000000 + int(random_() * 90000000)}",
        "paymentConditionId": ctx.pick("paymentconditions"),
        **extra,
        "active": random_() < 0.93,
        "createdDate": created,
        "changedDate": changed,
    }


_LIMITS = tuple(Decimal(limit).quantize(CENT) for limit in (0, 500, 1000, 2500, 5000))


def _debtors(ctx: Context) -> Iterator[Row]:
    for row_id in ctx.id_range():
        yield _relation(ctx, row_id, {"creditLimit": _LIMITS[int(ctx.rng.random() * 5)]})


def _creditors(ctx: Context) -> Iterator[Row]:
    for row_id in ctx.id_range():
        yield _relation(ctx, row_id, {})


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
    def make(row_id: int, value: tuple[str, str, str] | None) -> Row:
        code, text, pct = value or (f"V{row_id}", f"BTW-code {row_id}", "0.00")
        return {"id": row_id, "code": code, "description": text, "percentage": Decimal(pct),
                "active": True}  # fmt: skip

    return _fixed(VAT_CODES, ctx, make)


def _payment_conditions(ctx: Context) -> Iterator[Row]:
    def make(row_id: int, value: tuple[str, int, str | None, int | None] | None) -> Row:
        text, days, pct, pct_days = value or (f"{row_id} dagen netto", row_id % 90, None, None)
        discount = None if pct is None else Decimal(pct)
        return {"id": row_id, "description": text, "days": days,
                "discountPercentage": discount, "discountDays": pct_days}  # fmt: skip

    return _fixed(PAYMENT_CONDITIONS, ctx, make)


def _ledger_accounts(ctx: Context) -> Iterator[Row]:
    def make(row_id: int, value: tuple[str, str, str, int | None] | None) -> Row:
        code, text, kind, vat = value or (f"{4800 + row_id}", f"Overige kosten {row_id}",
                                          "ProfitAndLoss", 1)  # fmt: skip
        return {"id": row_id, "code": code, "description": text, "accountType": kind,
                "vatCodeId": vat, "active": True}  # fmt: skip

    return _fixed(LEDGER_ACCOUNTS, ctx, make)


def _sales_types(ctx: Context) -> Iterator[Row]:
    accounts = {row["code"]: row["id"] for row in ctx.rows("ledgeraccounts")}

    def make(row_id: int, value: tuple[str, str, str, int] | None) -> Row:
        code, text, ledger, vat = value or (f"ST{row_id}", f"Verkoopsoort {row_id}", "8000", 1)
        return {"id": row_id, "code": code, "description": text,
                "ledgerAccountId": accounts.get(ledger), "vatCodeId": vat}  # fmt: skip

    return _fixed(SALES_TYPES, ctx, make)


def _approval_routes(ctx: Context) -> Iterator[Row]:
    def make(row_id: int, value: tuple[str, str] | None) -> Row:
        name, text = value or (f"Route {row_id}", "Extra goedkeuringsroute.")
        return {"id": row_id, "name": name, "description": text, "active": True}

    return _fixed(APPROVAL_ROUTES, ctx, make)


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


def invoice_totals(
    lines: Sequence[Mapping[str, Any]], rates: Mapping[int, Decimal]
) -> tuple[Decimal, Decimal, Decimal]:
    """Return (excl. VAT, VAT, incl. VAT) of invoice lines, rounding each line to cents."""
    excl = vat = Decimal("0.00")
    for line in lines:
        amount = (line["quantity"] * line["price"]).quantize(CENT, ROUND_HALF_UP)
        rate = rates.get(line.get("vatCodeId") or 0, Decimal(0))
        excl += amount
        vat += (amount * rate / 100).quantize(CENT, ROUND_HALF_UP)
    return excl, vat, excl + vat


def vat_rates(rows: Sequence[Row]) -> dict[int, Decimal]:
    """Map VAT code ids to their percentage."""
    return {row["id"]: row["percentage"] for row in rows}


def _sales_line(ctx: Context) -> Row:
    rng = ctx.rng
    product, _ = rng.choice(PRODUCTS)
    return {
        "articleId": ctx.pick("articles"),
        "description": product,
        "quantity": Decimal(rng.randint(1, 20)).quantize(CENT),
        "price": _money(rng, 5, 500),
        "vatCodeId": rng.choice((1, 1, 1, 2)),
        "ledgerAccountId": ctx.pick("ledgeraccounts"),
    }


def _invoice_dates(rng: random.Random) -> tuple[str, str]:
    day = date(2024, 1, 1) + timedelta(days=int(rng.random() * 700))
    return day.isoformat(), (day + timedelta(days=30)).isoformat()


def _with_totals(row: Row, rates: Mapping[int, Decimal]) -> Row:
    excl, vat, incl = invoice_totals(row["lines"], rates)
    row.update(amountExclVat=excl, vatAmount=vat, amountInclVat=incl)
    created, changed = row.pop("createdDate"), row.pop("changedDate")
    row.update(createdDate=created, changedDate=changed)
    return row


def _sales_invoices(ctx: Context) -> Iterator[Row]:
    rng, rates = ctx.rng, vat_rates(ctx.rows("vatcodes"))
    drafts_from = ctx.size - max(1, ctx.size // 20)
    for index, row_id in enumerate(ctx.id_range()):
        invoice_date, due = _invoice_dates(rng)
        created, changed = _stamps(rng)
        final = index < drafts_from
        yield _with_totals(
            {
                "id": row_id,
                "invoiceNumber": f"{invoice_date[:4]}-{index + 1:05d}" if final else None,
                "status": "Final" if final else "Draft",
                "debtorId": ctx.pick("debtor"),
                "invoiceDate": invoice_date,
                "dueDate": due,
                "reference": f"PO-{rng.randint(1000, 99999)}" if rng.random() < 0.5 else None,
                "description": f"Factuur {rng.choice(('levering', 'diensten', 'onderhoud'))}",
                "lines": [_sales_line(ctx) for _ in range(rng.randint(1, 4))],
                "createdDate": created,
                "changedDate": changed,
            },
            rates,
        )


def _purchase_invoices(ctx: Context) -> Iterator[Row]:
    rng, rates = ctx.rng, vat_rates(ctx.rows("vatcodes"))
    for row_id in ctx.id_range():
        invoice_date, due = _invoice_dates(rng)
        created, changed = _stamps(rng)
        lines = [_sales_line(ctx) for _ in range(rng.randint(1, 3))]
        for line in lines:
            del line["articleId"]
        yield _with_totals(
            {
                "id": row_id,
                "creditorId": ctx.pick("creditors"),
                "invoiceNumber": f"INV{rng.randint(10000, 999999)}",
                "invoiceDate": invoice_date,
                "dueDate": due,
                "description": rng.choice(("Kantoorartikelen", "Huur", "Brandstof", "Inkoop")),
                "approvalRouteId": ctx.pick("approvalroutes"),
                "lines": lines,
                "createdDate": created,
                "changedDate": changed,
            },
            rates,
        )


def _journal_lines(ctx: Context) -> list[Row]:
    amount = _money(ctx.rng, 10, 5000)
    debit, credit = ctx.pick("ledgeraccounts"), ctx.pick("ledgeraccounts")
    return [
        {"ledgerAccountId": debit, "description": None, "debit": amount, "credit": None},
        {"ledgerAccountId": credit, "description": None, "debit": None, "credit": amount},
    ]


def _journal_entries(ctx: Context) -> Iterator[Row]:
    rng = ctx.rng
    for row_id in ctx.id_range():
        created, changed = _stamps(rng)
        yield {
            "id": row_id,
            "journalCode": rng.choice(JOURNALS),
            "entryDate": created[:10],
            "reference": f"BK{row_id}",
            "description": rng.choice(("Memoriaal", "Afschrijving", "Correctie", "Bankboeking")),
            "lines": _journal_lines(ctx),
            "createdDate": created,
            "changedDate": changed,
        }


def _journal_log(ctx: Context) -> Iterator[Row]:
    events: list[tuple[str, int, str]] = []
    for entry in ctx.rows("journalentries"):
        events.append((entry["createdDate"], entry["id"], "Insert"))
        if entry["changedDate"] != entry["createdDate"]:
            events.append((entry["changedDate"], entry["id"], "Update"))
    events.extend(_deleted_entries(ctx))
    events.sort()
    for offset, (changed, entry_id, action) in enumerate(events):
        yield {"id": ctx.first_id + offset, "journalEntryId": entry_id,
               "changedDate": changed, "action": action}  # fmt: skip


def _deleted_entries(ctx: Context) -> Iterator[tuple[str, int, str]]:
    """Yield the history of a few entries that were booked and later removed."""
    ids = ctx.ids("journalentries")
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
            "ledgerAccountCode": account["code"] if account else None,
            "year": 2025 - offset // (12 * max(1, len(accounts))),
            "period": offset % 12 + 1,
            "debit": debit,
            "credit": credit,
            "balance": debit - credit,
        }


def _nothing(ctx: Context) -> Iterator[Row]:
    return iter(())


GENERATORS: dict[str, Callable[[Context], Iterator[Row]]] = {
    "countries": _countries,
    "vatcodes": _vat_codes,
    "paymentconditions": _payment_conditions,
    "ledgeraccounts": _ledger_accounts,
    "salestypes": _sales_types,
    "approvalroutes": _approval_routes,
    "articles": _articles,
    "debtor": _debtors,
    "creditors": _creditors,
    "salesinvoices": _sales_invoices,
    "purchaseinvoices": _purchase_invoices,
    "journalentries": _journal_entries,
    "journalentrylog": _journal_log,
    "ledgergrouped": _ledger_grouped,
    "SalesOrderWithLines": _nothing,
}
"""Row generators by resource; each yields rows in ascending id order."""
