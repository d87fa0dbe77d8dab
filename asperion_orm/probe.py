"""``asperion probe``: ask the server what it does, and keep the answers as capabilities.

Each check sends a few fixed requests and returns a ``Finding``: the value it found, how it
judged it, and every request with a short summary of the answer (never a token or secret).
A check that cannot tell keeps the safe default of ``Capabilities`` and says why.
``probe()`` runs them all against one administration and builds the ``Capabilities`` that
``Client(capabilities=...)`` reads.

The number of requests is bounded (retries the retry policy makes are not counted):

| check | requests |
|---|---|
| tenant header | 3-5 API reads (listing administrations; a client's own third spelling) |
| page size | 1-2 API reads |
| orderby | 2 API reads |
| range filters | 1 API read |
| text filters | 3 API reads |
| URL length | 1-8 API reads (a binary search, to 64 bytes) |
| writes | with ``allow_writes`` only: 1 POST and 1 DELETE |
| PKCE | 1-2 GETs of ``/connect/authorize`` (no redirect followed) |
| token rotation | 1 POST to ``/connect/token`` (one forced refresh) |

At most ``MAX_API_READS`` (21) GETs reach the API; without ``allow_writes`` nothing else
does. The probe reads ``countries`` (reference data every administration has) and, for the
page size, ``debtors``; the throwaway object of the write check is a debtor.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from asperion_orm.capabilities import DEFAULT_CAPABILITIES, Capabilities
from asperion_orm.exceptions import (
    APIError,
    AsperionError,
    ConfigurationError,
    ReauthorizationRequired,
    TenantMismatchError,
    TransportError,
    ValidationError,
)
from asperion_orm.orm.lookups import FROM, TO
from asperion_orm.orm.planner import COMPARISON_SUFFIX
from asperion_orm.resources import Administration, Country, Debtor
from asperion_orm.session import Session

if TYPE_CHECKING:
    from asperion_orm.client import Client

__all__ = [
    "MAX_API_READS",
    "Exchange",
    "Finding",
    "ProbeResult",
    "check_order_by",
    "check_page_size",
    "check_pkce",
    "check_range_filters",
    "check_refresh_rotation",
    "check_tenant_header",
    "check_text",
    "check_url_length",
    "check_writes",
    "judge_authorize",
    "padded_query",
    "probe",
]

MAX_API_READS = 21
TENANT_HEADERS = ("X-Tenant-Id", "X-TenantId")
ASKED_PAGE_SIZE = 1000
LONGEST_QUERY = 8192  # bytes of query string; IIS allows 2048 unless configured otherwise
QUERY_STEPS = 7  # halvings after the first try: 8192 / 2**7 = 64 bytes resolution
LONG_QUERY = 120  # a query string longer than this is abbreviated in the evidence
SHOWN_QUERY = 40  # characters of it shown
Row = dict[str, Any]
Params = Sequence[tuple[str, str]]


# -- what a check reports ------------------------------------------------------------------


@dataclass(frozen=True)
class Exchange:
    """One request the probe sent and a short summary of the answer (never a secret)."""

    method: str
    target: str  # path and query as sent (a long query abbreviated)
    status: int | None  # None: no answer arrived
    summary: str

    def __str__(self) -> str:
        answer = "no answer" if self.status is None else str(self.status)
        return f"{self.method} {self.target} -> {answer}: {self.summary}"


@dataclass(frozen=True)
class Finding:
    """What one check found: the value, how it was judged, and the requests behind it.

    ``name`` is the ``Capabilities`` key (or ``"writes"``). ``measured`` is False when the
    server did not tell and ``value`` is the safe default.
    """

    name: str
    value: Any
    note: str
    exchanges: tuple[Exchange, ...] = ()
    measured: bool = True

    @property
    def evidence(self) -> str:
        """Return the requests and the judgement, one per line."""
        return "\n".join([*(str(exchange) for exchange in self.exchanges), self.note])


@dataclass(frozen=True)
class ProbeResult:
    """The capabilities a probe found, and every finding with its evidence."""

    capabilities: Capabilities
    findings: tuple[Finding, ...]

    def finding(self, name: str) -> Finding:
        """Return the finding for a ``Capabilities`` key (or ``"writes"``)."""
        for finding in self.findings:
            if finding.name == name:
                return finding
        raise KeyError(name)


# -- the probe's door to the API -----------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """An API answer as the checks read it: status and parsed body, and the request."""

    method: str
    target: str
    status: int | None
    body: dict[str, Any]
    error: APIError | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        """Tell whether the status is 2xx."""
        return self.status is not None and 200 <= self.status < 300

    @property
    def rows(self) -> list[Row]:
        """Return the ``_data`` rows of a list answer (none for anything else)."""
        data = self.body.get("_data") if self.ok else None
        return [row for row in data if isinstance(row, dict)] if isinstance(data, list) else []

    @property
    def ids(self) -> list[Any]:
        """Return the ids of the rows, in the order answered."""
        return [row.get("id") for row in self.rows]

    @property
    def total(self) -> int | None:
        """Return ``_meta.totalCount``, if any."""
        total = self._meta.get("totalCount")
        return total if isinstance(total, int) else None

    @property
    def administration(self) -> Any:
        """Return ``_meta.administrationId``, if any."""
        return self._meta.get("administrationId")

    @property
    def _meta(self) -> dict[str, Any]:
        meta = self.body.get("_meta")
        return meta if isinstance(meta, dict) else {}

    def exchange(self, summary: str | None = None) -> Exchange:
        """Return the evidence of this request; an error is summarised from its body."""
        if not self.ok:
            summary = _problem(self.body)
        return Exchange(self.method, self.target, self.status, summary or "ok")


class Api:
    """The probe's requests for one administration, through the client's own stack.

    It sends the given tenant header (which may differ from the client's), reads error
    answers as statuses instead of raising, and refuses a successful answer that belongs to
    another administration.
    """

    def __init__(self, client: Client, tenant: int, header: str) -> None:
        self.client = client
        self.tenant = tenant
        self.header = header

    def send(
        self,
        method: str,
        path: str,
        params: Params = (),
        *,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """Send one request (``headers=None``: the tenant header) and return the answer."""
        sent = {self.header: str(self.tenant)} if headers is None else dict(headers)
        target = self.target(path, params)
        try:
            response = self.client.request(
                method, path, params=params, body=body, headers=sent, label="probe"
            )
        except ValidationError as exc:
            return Answer(method, target, 400, {"errors": dict(exc.errors)})
        except APIError as exc:
            found = exc.body if isinstance(exc.body, dict) else {}
            return Answer(method, target, exc.status_code, found, exc)
        return Answer(method, target, response.status_code, self.client.parse(response))

    def read(
        self, path: str, params: Params = (), headers: Mapping[str, str] | None = None
    ) -> Answer:
        """GET; raise what no check can judge (401, 403, 429, 5xx) or another tenant's answer."""
        answer = self.send("GET", path, params, headers=headers)
        if answer.error is not None and _stops_the_probe(answer.error.status_code):
            raise answer.error
        expected = self.tenant if headers is None else None
        if answer.ok and expected is not None and str(answer.administration) != str(expected):
            raise TenantMismatchError(self.tenant, answer.administration)
        return answer

    def target(self, path: str, params: Params) -> str:
        """Return the URL path and query as evidence shows them."""
        url_path = urlsplit(self.client.url(path)).path
        query = urlencode(list(params))
        if len(query) > LONG_QUERY:
            query = f"{query[:SHOWN_QUERY]}... ({len(query)}-byte query)"
        return f"{url_path}?{query}" if query else url_path


def _stops_the_probe(status: int) -> bool:
    """Tell whether an error status says nothing about the server's features."""
    return status in (401, 403, 429) or status >= 500


def _problem(body: Mapping[str, Any]) -> str:
    """Summarise an error body: the first field error, else its detail or title."""
    errors = body.get("errors")
    if isinstance(errors, dict) and errors:
        key, messages = next(iter(errors.items()))
        first = messages[0] if isinstance(messages, list) and messages else messages
        return _short(f"{key}: {first}")
    text = body.get("detail") or body.get("title") or body.get("error") or "no detail"
    return _short(str(text))


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- the probe -----------------------------------------------------------------------------


def probe(
    client: Client,
    tenant: int,
    *,
    allow_writes: bool = False,
    write_tenant: int | None = None,
) -> ProbeResult:
    """Measure the server through ``client`` in administration ``tenant``; return what it found.

    Only reads are sent, unless ``allow_writes`` is given with ``write_tenant``: then one
    debtor is created in that administration and deleted again. One refresh of the access
    token is forced (to see whether the refresh token rotates).
    """
    _check_arguments(client, tenant, allow_writes, write_tenant)
    header = check_tenant_header(client, tenant)
    api = Api(client, tenant, header.value)
    size, sample = check_page_size(api)
    findings = [header, size, check_order_by(api), check_range_filters(api, sample)]
    findings += [*check_text(api, sample), check_url_length(api)]
    if write_tenant is not None:
        findings.append(check_writes(Api(client, write_tenant, header.value)))
    findings += [check_pkce(client), check_refresh_rotation(client)]
    return ProbeResult(_capabilities(client, findings), tuple(findings))


def _check_arguments(
    client: Client, tenant: int, allow_writes: bool, write_tenant: int | None
) -> None:
    Session(client, tenant)  # refuses an id that cannot be an administration
    if allow_writes and write_tenant is None:
        raise ConfigurationError(
            "allow_writes=True needs write_tenant: name a test administration the probe may "
            "create and delete one debtor in."
        )
    if write_tenant is not None:
        if not allow_writes:
            raise ConfigurationError(
                "write_tenant is only used with allow_writes=True; pass both to let the probe "
                "create and delete one debtor there."
            )
        Session(client, write_tenant)


def _capabilities(client: Client, findings: Sequence[Finding]) -> Capabilities:
    keys = {field.name for field in dataclasses.fields(Capabilities)}
    values = {f.name: f.value for f in findings if f.name in keys}
    evidence = {f.name: f.evidence for f in findings}
    return dataclasses.replace(
        DEFAULT_CAPABILITIES, **values, base_url=client.base_url, evidence=evidence
    )


# -- tenant header -------------------------------------------------------------------------


def check_tenant_header(client: Client, tenant: int) -> Finding:
    """Find the header spelling that selects an administration other than the default one.

    A request without the header shows the default administration; each spelling then asks
    for a non-default one (``tenant``, or another the user can reach).
    """
    path, params = _path(Country), [("pageSize", "1")]
    kept = client.tenant_header
    api = Api(client, tenant, kept)
    plain = api.read(path, params, headers={})
    default = plain.administration
    exchanges = [plain.exchange(f"administration {default} (no header: the default)")]
    if default is None:
        note = f"the default administration did not show; kept {kept}"
        return Finding("tenant_header", kept, note, tuple(exchanges), measured=False)
    other = tenant if str(tenant) != str(default) else _another(api, default, exchanges)
    if other is None:
        note = (
            "the user reaches only the default administration, so no spelling can be told "
            f"apart; kept {kept}"
        )
        return Finding("tenant_header", kept, note, tuple(exchanges), measured=False)
    honoured = []
    for header in dict.fromkeys((*TENANT_HEADERS, kept)):
        answer = api.read(path, params, headers={header: str(other)})
        exchanges.append(answer.exchange(f"administration {answer.administration} ({header})"))
        if answer.ok and str(answer.administration) == str(other):
            honoured.append(header)
    return _header_finding(honoured, other, kept, tuple(exchanges))


def _another(api: Api, default: Any, exchanges: list[Exchange]) -> Any:
    """Return an administration other than ``default`` from the user's list, or None.

    One page of two is enough: only one administration is the default.
    """
    listed = api.read(_path(Administration), [("pageSize", "2")], headers={})
    ids = listed.ids
    exchanges.append(listed.exchange(f"administrations {', '.join(map(str, ids))}"))
    return next((admin for admin in ids if str(admin) != str(default)), None)


def _header_finding(
    honoured: Sequence[str], other: int, kept: str, exchanges: tuple[Exchange, ...]
) -> Finding:
    if not honoured:
        note = (
            f"no spelling selected administration {other}: this server always answers for the "
            f"default one, so other administrations cannot be reached; kept {kept}"
        )
        return Finding("tenant_header", kept, note, exchanges, measured=False)
    note = f"{' and '.join(honoured)} selected administration {other}; {honoured[0]} is used"
    return Finding("tenant_header", honoured[0], note, exchanges)


# -- page size -----------------------------------------------------------------------------


def check_page_size(api: Api) -> tuple[Finding, list[Row]]:
    """Ask for 1000 rows and count how many one page holds; also return the countries read.

    ``countries`` is asked first, ``debtors`` when every country fit on one page. When every
    row of both fit, the limit did not show: the larger of the default and the rows seen in
    one page is kept (a size the server is known to answer).
    """
    exchanges: list[Exchange] = []
    sample: list[Row] = []
    seen = 0
    for model in (Country, Debtor):
        answer = api.read(_path(model), [("pageSize", str(ASKED_PAGE_SIZE))])
        rows, total = answer.rows, answer.total
        exchanges.append(answer.exchange(f"{len(rows)} rows of {total}"))
        sample = rows if model is Country else sample
        if answer.ok and total is not None and 0 < len(rows) < min(total, ASKED_PAGE_SIZE):
            note = f"asked for {ASKED_PAGE_SIZE} rows and got {len(rows)} of {total}"
            return Finding("max_page_size", len(rows), note, tuple(exchanges)), sample
        if len(rows) >= ASKED_PAGE_SIZE:
            note = f"a page held all {ASKED_PAGE_SIZE} rows asked for; {ASKED_PAGE_SIZE} is used"
            return Finding("max_page_size", ASKED_PAGE_SIZE, note, tuple(exchanges)), sample
        seen = max(seen, len(rows))
    return _page_size_unseen(seen, tuple(exchanges)), sample


def _page_size_unseen(seen: int, exchanges: tuple[Exchange, ...]) -> Finding:
    default = DEFAULT_CAPABILITIES.max_page_size
    if seen > default:
        note = f"every row fit on one page: pages hold at least {seen}, which is used"
        return Finding("max_page_size", seen, note, exchanges)
    note = (
        f"too few rows to show the limit (at most {seen} in one page, all there were); "
        f"kept the default {default}"
    )
    return Finding("max_page_size", default, note, exchanges, measured=False)


# -- orderby -------------------------------------------------------------------------------


def check_order_by(api: Api) -> Finding:
    """Compare ``orderby=-name,id`` with the one-field ``orderby=-name``.

    Applied when both answer the same order (and it is not the id order); refused (an
    error) or ignored (id order) otherwise.
    """
    path, name, pk = _path(Country), _api(Country, "name"), _api(Country, "id")
    single = api.read(path, [("orderby", f"-{name}"), ("pageSize", "100")])
    multi = api.read(path, [("orderby", f"-{name},{pk}"), ("pageSize", "100")])
    exchanges = (single.exchange(_ids(single)), multi.exchange(_ids(multi)))
    value, note, measured = _order_verdict(single, multi)
    return Finding("multi_field_order_by", value, note, exchanges, measured)


def _order_verdict(single: Answer, multi: Answer) -> tuple[bool, str, bool]:
    if not multi.ok:
        return False, "a comma list in orderby was refused", True
    if not single.ok or len(single.ids) < 2 or single.ids == sorted(single.ids):
        return False, "the one-field order did not show (too few rows); kept off", False
    if multi.ids == single.ids:
        return True, "the comma list sorted as the one-field order does", True
    if multi.ids == sorted(multi.ids):
        return False, "the comma list was accepted but ignored (id order)", True
    return False, "the comma list was accepted but sorted otherwise", True


def _ids(answer: Answer) -> str:
    ids = answer.ids
    shown = ", ".join(str(i) for i in ids[:5])
    return f"{_rows(len(ids))}, ids {shown}{', ...' if len(ids) > 5 else ''}"


# -- range filters -------------------------------------------------------------------------


def check_range_filters(api: Api, sample: Sequence[Row]) -> Finding:
    """Ask for ``id_from``/``id_to`` around a few known countries and compare the ids."""
    ids = sorted(row["id"] for row in sample if isinstance(row.get("id"), int))
    default = DEFAULT_CAPABILITIES.range_filters
    if len(ids) < 3:
        note = f"too few countries to test a range; kept {default}"
        return Finding("range_filters", default, note, measured=False)
    low, high = ids[1], ids[min(len(ids) - 2, 10)]
    expected = [i for i in ids if low <= i <= high]
    pk = _api(Country, "id")
    params = [(pk + FROM, str(low)), (pk + TO, str(high)), ("pageSize", "100")]
    answer = api.read(_path(Country), params)
    applied = answer.ok and sorted(answer.ids) == expected
    if applied:
        note = f"exactly the {len(expected)} ids from {low} to {high} came back"
    elif answer.ok:
        note = f"expected the {len(expected)} ids from {low} to {high}; the filter was ignored"
    else:
        note = "the range parameters were refused"
    return Finding("range_filters", applied, note, (answer.exchange(_ids(answer)),))


# -- text filters --------------------------------------------------------------------------


def check_text(api: Api, sample: Sequence[Row]) -> list[Finding]:
    """Find whether ``_comparison`` works, what a bare text filter does, and case handling.

    All three use one country's name: the exact name with ``Equals``, a piece from its
    middle without ``_comparison``, and the name in swapped case.
    """
    name = _text_sample(sample)
    if name is None:
        note = "no country name to test text filters with; kept the default"
        keys = ("text_comparison", "text_default", "text_case_sensitive")
        default = DEFAULT_CAPABILITIES
        return [Finding(key, getattr(default, key), note, measured=False) for key in keys]
    comparison = check_text_comparison(api, name)
    return [
        comparison,
        check_text_default(api, name),
        check_text_case(api, name, comparison=bool(comparison.value)),
    ]


def _text_sample(sample: Sequence[Row]) -> str | None:
    """Return a name at least three long whose case can be swapped."""
    for row in sample:
        name = row.get("name")
        if isinstance(name, str) and len(name) >= 3 and name.swapcase() != name:
            return name
    return None


def _text_answer(api: Api, value: str, comparison: str | None) -> Answer:
    name = _api(Country, "name")
    params = [(name, value), ("pageSize", "100")]
    if comparison is not None:
        params.append((name + COMPARISON_SUFFIX, comparison))
    return api.read(_path(Country), params)


def _names(answer: Answer) -> list[str]:
    return [str(row.get("name")) for row in answer.rows]


def _among(answer: Answer, name: str, hit: bool) -> str:
    return f"{_rows(len(answer.rows))}, {name!r} {'among them' if hit else 'not among them'}"


def check_text_comparison(api: Api, name: str) -> Finding:
    """Filter on the exact name with ``<field>_comparison=Equals``: accepted and applied?"""
    answer = _text_answer(api, name, "Equals")
    names = _names(answer)
    exchange = answer.exchange(f"{_rows(len(names))}: {_short(', '.join(names), 60)}")
    found = answer.ok and name in names and all(n.casefold() == name.casefold() for n in names)
    if found:
        note = f"Equals found exactly {name!r}"
    elif answer.ok:
        note = f"the parameter was accepted but Equals did not find just {name!r}"
    else:
        note = "the _comparison parameter was refused"
    return Finding("text_comparison", found, note, (exchange,))


def check_text_default(api: Api, name: str) -> Finding:
    """Filter on a piece from the middle of the name without ``_comparison``."""
    piece = name[1:-1]
    answer = _text_answer(api, piece, None)
    hit = name in _names(answer)
    exchange = answer.exchange(_among(answer, name, hit))
    if not answer.ok:
        default = DEFAULT_CAPABILITIES.text_default
        note = f"a text filter was refused; kept {default}"
        return Finding("text_default", default, note, (exchange,), measured=False)
    value = "contains" if hit else "equals"
    note = f"{piece!r} {'found' if hit else 'did not find'} {name!r}: a bare filter {value}"
    return Finding("text_default", value, note, (exchange,))


def check_text_case(api: Api, name: str, *, comparison: bool) -> Finding:
    """Filter on the whole name in swapped case (with ``Equals`` when the server takes it)."""
    swapped = name.swapcase()
    answer = _text_answer(api, swapped, "Equals" if comparison else None)
    hit = name in _names(answer)
    exchange = answer.exchange(_among(answer, name, hit))
    if not answer.ok:
        note = "the filter was refused; case handling unknown"
        return Finding("text_case_sensitive", None, note, (exchange,), measured=False)
    verdict = "ignore case" if hit else "respect case"
    note = f"{swapped!r} {'found' if hit else 'did not find'} {name!r}: comparisons {verdict}"
    return Finding("text_case_sensitive", not hit, note, (exchange,))


# -- URL length ----------------------------------------------------------------------------


def check_url_length(api: Api) -> Finding:
    """Find the longest query string the server answers, by a bounded binary search.

    The query repeats ``id=1``/``id=10`` (an OR of ids, harmless) to an exact length. Only a
    2xx answer counts as within the limit (IIS refuses a long query with 404, not 414).
    ``max_url_bytes`` is that length plus the base URL and ``/?``: safe for every path.
    """
    exchanges: list[Exchange] = []

    def fits(length: int) -> bool:
        answer = _padded(api, length)
        exchanges.append(answer.exchange(f"{length}-byte query answered"))
        return answer.ok

    low = LONGEST_QUERY if fits(LONGEST_QUERY) else _bisect(fits, 0, LONGEST_QUERY)
    return _url_finding(api.client.base_url, low, tuple(exchanges))


def _bisect(fits: Callable[[int], bool], low: int, high: int) -> int:
    """Return the longest length known to fit: ``low`` fits (or is 0), ``high`` does not."""
    for _ in range(QUERY_STEPS):
        middle = (low + high) // 2
        if fits(middle):
            low = middle
        else:
            high = middle
    return low


def _padded(api: Api, length: int) -> Answer:
    try:
        return api.read(_path(Country), padded_query(length))
    except TransportError:
        return Answer("GET", api.target(_path(Country), padded_query(length)), None, {})


def padded_query(length: int) -> list[tuple[str, str]]:
    """Return query parameters whose encoded form is exactly ``length`` bytes (34 or more)."""
    pk = _api(Country, "id")
    head = [("pageSize", "1")]
    short, long_ = (pk, "1"), (pk, "10")  # "&id=1" and "&id=10": 5 and 6 bytes
    rest = length - len(urlencode(head))
    longs = rest % 5
    shorts = (rest - 6 * longs) // 5
    if shorts < 0:
        raise ValueError(f"a padded query is at least 34 bytes, not {length}")
    return head + [short] * shorts + [long_] * longs


def _url_finding(base_url: str, longest: int, exchanges: tuple[Exchange, ...]) -> Finding:
    value = longest + len(base_url) + len("/?")
    default = DEFAULT_CAPABILITIES.max_url_bytes
    if longest == 0 or value < 256:
        note = f"no query string of 64 bytes or more was answered; kept {default}"
        return Finding("max_url_bytes", default, note, exchanges, measured=False)
    if longest >= LONGEST_QUERY:
        note = f"a {longest}-byte query string was answered (the longest tried)"
    else:
        note = f"query strings of {longest} bytes were answered, {longest + 64} were not"
    note += f"; URLs up to {value} bytes with this base URL"
    return Finding("max_url_bytes", value, note, exchanges)


# -- writes --------------------------------------------------------------------------------


def check_writes(api: Api) -> Finding:
    """Create one clearly named debtor in ``api``'s administration and delete it again."""
    path, name = _path(Debtor), _api(Debtor, "name")
    label = f"asperion probe {time.strftime('%Y-%m-%d %H:%M:%S')} (delete me)"
    where = f"administration {api.tenant}"
    try:
        created = api.send("POST", path, body={name: label})
    except AsperionError as exc:
        note = f"the create's outcome is unknown ({exc}); delete debtor {label!r} in {where}"
        return Finding("writes", "unknown", _short(note, 400), measured=False)
    row_id, landed = created.body.get("id"), created.administration
    exchanges = [created.exchange(f"created id {row_id} in administration {landed}")]
    if not created.ok or row_id is None:
        note = "the create failed; nothing to delete"
        return Finding("writes", f"create {created.status}", note, tuple(exchanges))
    deleted = api.send("DELETE", Session.path(path, row_id))
    exchanges.append(deleted.exchange("deleted"))
    value = f"create {created.status}, delete {deleted.status}"
    note = f"debtor {label!r} created and deleted in {where}"
    if not deleted.ok:
        note = f"debtor {row_id} ({label!r}) was created but not deleted: delete it in {where}"
    if str(landed) != str(api.tenant):
        note += f"; the create answered for administration {landed}, not {api.tenant}"
    return Finding("writes", value, note, tuple(exchanges))


# -- PKCE ----------------------------------------------------------------------------------


def check_pkce(client: Client) -> Finding:
    """Ask ``/connect/authorize`` without ``code_challenge``; with one too if that was unclear.

    No redirect is followed and no code is exchanged (the user's browser session is not
    involved, so a server that needs a login answers with its sign-in page).
    """
    plain, verdict = _authorize(client, pkce=False)
    exchanges = [plain]
    if verdict == "refused-pkce":
        return Finding("pkce_required", True, "refused for want of a code_challenge", (plain,))
    if verdict == "accepted":
        return Finding("pkce_required", False, "accepted without a code_challenge", (plain,))
    control, control_verdict = _authorize(client, pkce=True)
    exchanges.append(control)
    if control_verdict in ("accepted", "refused-pkce"):  # the challenge made the difference
        note = "refused without a code_challenge and accepted with one"
        return Finding("pkce_required", True, note, tuple(exchanges))
    note = "refused with and without a code_challenge: the reason did not show"
    return Finding("pkce_required", None, note, tuple(exchanges), measured=False)


def _authorize(client: Client, *, pkce: bool) -> tuple[Exchange, str]:
    url = client.authorization_url(state=secrets.token_urlsafe(16), pkce=pkce)
    target = f"{urlsplit(url).path} (response_type=code, {'with' if pkce else 'no'} code_challenge)"
    try:
        response = client.transport.send("GET", url, headers={"Accept": "text/html"})
    except requests.RequestException as exc:
        return Exchange("GET", target, None, type(exc).__name__), "unclear"
    verdict, summary = judge_authorize(
        response.status_code,
        response.headers.get("Location"),
        response.headers.get("Content-Type", ""),
        response.text[:2000],
    )
    return Exchange("GET", target, response.status_code, summary), verdict


def judge_authorize(
    status: int, location: str | None, content_type: str, text: str
) -> tuple[str, str]:
    """Judge an answer of ``/connect/authorize``: accepted, refused-pkce, refused or unclear.

    Return the verdict and a summary that never holds a code or the state.
    """
    if 300 <= status < 400 and location:
        parts = urlsplit(location)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        if "error" in query:
            return _refusal(query["error"], query.get("error_description", ""), "redirected with")
        if "code" in query:
            return "accepted", "redirected back with an authorization code (not used)"
        if "error" in parts.path.lower():
            return "unclear", f"redirected to an error page ({parts.path})"
        return "accepted", f"redirected to {parts.path or '/'} to sign in"
    if status == 200:
        return "accepted", f"answered with a page ({content_type.split(';')[0] or 'no type'})"
    if 400 <= status < 500 and "json" in content_type:
        error, description = _json_error(text)
        return _refusal(error, description, "answered")
    return "unclear", f"answered {status}"


def _refusal(error: str, description: str, how: str) -> tuple[str, str]:
    summary = _short(f"{how} error={error}" + (f" ({description})" if description else ""))
    about_pkce = any(word in f"{error} {description}".lower() for word in _PKCE_WORDS)
    return ("refused-pkce" if about_pkce else "refused"), summary


_PKCE_WORDS = ("code_challenge", "code challenge", "pkce")


def _json_error(text: str) -> tuple[str, str]:
    try:
        data = json.loads(text)
    except ValueError:
        return "unknown", ""
    if not isinstance(data, dict):
        return "unknown", ""
    return str(data.get("error", "unknown")), str(data.get("error_description", ""))


# -- refresh-token rotation ----------------------------------------------------------------


def check_refresh_rotation(client: Client) -> Finding:
    """Force one refresh through the client and compare the refresh tokens (never reused)."""
    target = "/connect/token (grant_type=refresh_token)"
    before = client.token_store.load()
    if before is None or not before.refresh_token:
        note = "no refresh token is stored, so rotation could not be seen"
        return Finding("refresh_token_rotation", None, note, measured=False)
    try:
        after = client.auth.refresh(before, force=True)
    except (ReauthorizationRequired, TransportError, APIError) as exc:
        exchange = Exchange("POST", target, None, _short(str(exc)))
        note = "the refresh failed; rotation unknown"
        return Finding("refresh_token_rotation", None, note, (exchange,), measured=False)
    rotated = after.refresh_token != before.refresh_token
    summary = "a new refresh token" if rotated else "the same refresh token"
    note = "refresh tokens rotate" if rotated else "the refresh token stays the same"
    return Finding(
        "refresh_token_rotation", rotated, note, (Exchange("POST", target, 200, summary),)
    )


# -- helpers -------------------------------------------------------------------------------


def _path(model: Any) -> str:
    path: str = model._meta.check_path()
    return path


def _api(model: Any, name: str) -> str:
    api_name: str = model._meta.get_field(name).api_name
    return api_name
