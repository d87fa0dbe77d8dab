"""The ``asperion`` command line: serve the sandbox, log in, list tenants, read, and probe.

Every command turns bad input (exit code 2) and failures (exit code 1) into one line on stderr;
tokens and secrets are never printed (``asperion sandbox`` prints the sandbox's own generated
credentials, which is its purpose).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import http.server
import importlib
import json
import os
import secrets
import sys
import threading
import warnings
import webbrowser
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import click

from asperion_orm import _json
from asperion_orm._files import private_directory, write_atomic
from asperion_orm.capabilities import Capabilities
from asperion_orm.exceptions import (
    AsperionError,
    ConfigurationError,
    QueryError,
    ReauthorizationRequired,
)

if TYPE_CHECKING:
    from asperion_orm.client import Client
    from asperion_orm.orm.fields import Field
    from asperion_orm.orm.model import Model
    from asperion_orm.orm.queryset import QuerySet
    from asperion_orm.probe import Finding, ProbeResult

__all__ = ["Environment", "Profile", "cli", "config_dir", "main", "saved_client"]

F = TypeVar("F", bound=Callable[..., Any])

LOGIN_HINT = "run `asperion login`"
PROFILE_FIELDS = (
    "client_id",
    "client_secret",
    "environment",
    "base_url",
    "identity_url",
    "ca_bundle",
    "redirect_uri",
)
FORMATS = ("table", "json", "jsonl", "csv")
TEXT_LOOKUPS = frozenset(
    {"iexact", "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith"}
)


def config_dir() -> Path:
    """Return ``$XDG_CONFIG_HOME/asperion`` (``~/.config/asperion`` when unset)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "asperion"


@dataclass
class Environment:
    """What the commands take from the outside world (tests swap the browser)."""

    open_url: Callable[[str], bool] = webbrowser.open


def resource_model(name: str) -> type[Model]:
    """Return the model for a resource name (``debtor``, ``Debtor``, ``sales_invoice``...)."""
    resources = importlib.import_module("asperion_orm.resources")
    model: type[Model] = resources.get_model(name)
    return model


@dataclass
class Profile:
    """The app registration and hosts a login used; saved beside the tokens (mode 0600)."""

    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    environment: str = "production"
    base_url: str | None = None
    identity_url: str | None = None
    ca_bundle: str | None = None
    redirect_uri: str = "http://127.0.0.1/callback"

    @classmethod
    def load(cls, directory: Path) -> Profile:
        """Read ``profile.json`` from ``directory`` (an empty profile when there is none)."""
        path = directory / "profile.json"
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(**{key: data[key] for key in PROFILE_FIELDS if data.get(key)})

    def save(self, directory: Path) -> None:
        """Write ``profile.json`` into ``directory``, readable by the owner only."""
        private_directory(directory)
        profile = {key: getattr(self, key) for key in PROFILE_FIELDS}
        write_atomic(directory / "profile.json", json.dumps(profile, indent=2))

    def merged(self, options: Mapping[str, Any]) -> Profile:
        """Return a copy where the given (non-empty) options win."""
        values = {key: getattr(self, key) for key in PROFILE_FIELDS}
        values.update({key: value for key, value in options.items() if value})
        return Profile(**values)

    def client(self, token_file: Path, capabilities: Capabilities | Path | None = None) -> Client:
        """Return a client for this profile whose tokens live in ``token_file``."""
        from asperion_orm.client import Client
        from asperion_orm.http.tokens import FileTokenStore

        if not self.client_id or not self.client_secret:
            raise ConfigurationError(
                "No client id and secret: pass --client-id/--client-secret (or set "
                f"ASPERION_CLIENT_ID/ASPERION_CLIENT_SECRET), or {LOGIN_HINT} first."
            )
        return Client(
            self.client_id,
            self.client_secret,
            self.redirect_uri,
            environment=self.environment,
            base_url=self.base_url,
            identity_url=self.identity_url,
            ca_bundle=self.ca_bundle,
            token_store=FileTokenStore(token_file),
            capabilities=capabilities,
        )


# -- errors --------------------------------------------------------------------------------------


def one_line(exc: BaseException) -> str:
    """Return an exception's message as one line (never a traceback)."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def describe_error(exc: BaseException) -> str:
    """Return the message a user sees for an error."""
    from asperion_orm.exceptions import TransportError

    if isinstance(exc, ReauthorizationRequired):
        return f"The stored login was refused or has expired; {LOGIN_HINT} again."
    if isinstance(exc, TransportError):
        return f"Network or TLS failure: {one_line(exc)}"
    return one_line(exc)


class InputError(click.ClickException):
    """Bad command-line input: one line on stderr, exit code 2."""

    exit_code = 2


BAD_INPUT = (QueryError, ConfigurationError, LookupError, TypeError, ValueError)
"""What a mistake in what the user handed in raises: an unknown resource, field or lookup, a bad
value or tenant id, a missing option, a capabilities file for another host. Each is one line on
stderr and exit code 2, as click's own usage errors; failures (login, network, server) are 1."""


class Group(click.Group):
    """A click group that turns errors into ``Error: <one line>``: 2 for bad input, else 1."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; translate expected failures."""
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            exc.ctx = None  # one line: no usage text, no "Try --help" hint
            raise
        except BAD_INPUT as exc:
            raise InputError(describe_error(exc)) from exc
        except (AsperionError, OSError) as exc:
            if isinstance(exc, click.ClickException):
                raise
            raise click.ClickException(describe_error(exc)) from exc


def connection_options(command: F) -> F:
    """Add the client-id/secret/environment/URL/CA options (each also an env variable)."""
    options = [
        click.option("--client-id", envvar="ASPERION_CLIENT_ID", help="OAuth client id."),
        click.option(
            "--client-secret",
            envvar="ASPERION_CLIENT_SECRET",
            help="OAuth client secret (prefer the env variable).",
        ),
        click.option(
            "--environment",
            envvar="ASPERION_ENVIRONMENT",
            type=click.Choice(["production", "sandbox"]),
            help="Asperion hosts to use (default: production).",
        ),
        click.option("--base-url", envvar="ASPERION_BASE_URL", help="API base URL override."),
        click.option(
            "--identity-url", envvar="ASPERION_IDENTITY_URL", help="OAuth host URL override."
        ),
        click.option(
            "--ca-bundle",
            envvar="ASPERION_CA_BUNDLE",
            type=click.Path(exists=True, dir_okay=False),
            help="CA certificates (PEM) to trust.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _profile(options: Mapping[str, Any]) -> Profile:
    """Return the saved profile with command-line and environment values applied."""
    return Profile.load(config_dir()).merged({k: options.get(k) for k in PROFILE_FIELDS})


def saved_client(capabilities: Capabilities | Path | None = None, **options: Any) -> Client:
    """Return a client for the login ``asperion login`` saved (for scripts and notebooks).

    Keyword arguments (``client_id``, ``base_url``, ``ca_bundle``, ...) override the saved
    profile; the tokens stay in ``tokens.json`` under :func:`config_dir`, refreshed in place.
    The capabilities ``asperion probe`` wrote there are used unless ``capabilities`` is given.
    """
    if capabilities is None and capabilities_path().exists():
        capabilities = capabilities_path()
    return _profile(options).client(config_dir() / "tokens.json", capabilities)


def _logged_in_client(
    options: Mapping[str, Any], capabilities: Capabilities | None = None
) -> Client:
    """Return a client for the saved login, or fail with the hint to log in."""
    from asperion_orm.http.tokens import FileTokenStore

    if FileTokenStore(config_dir() / "tokens.json").load() is None:
        raise click.ClickException(f"No token is stored yet; {LOGIN_HINT} first.")
    return saved_client(capabilities, **options)


# -- the command group ---------------------------------------------------------------------------


@click.group(cls=Group)
@click.version_option(package_name="asperion_orm")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Work with the Asperion accounting API from the shell."""
    ctx.ensure_object(Environment)


# -- asperion sandbox ----------------------------------------------------------------------------


@cli.command()
@click.option("--port", type=int, default=0, show_default=True, help="0 picks a free port.")
@click.option("--records", multiple=True, metavar="RESOURCE=N", help="Rows per resource.")
@click.option("--latency-ms", type=float, default=0.0, help="Delay every answer.")
@click.option("--rate-limit", type=float, default=None, help="API requests per second.")
@click.option("--seed", type=int, default=0, help="Seed of the generated data.")
@click.option("--interactive", is_flag=True, help="Show a login form at /connect/authorize.")
@click.option(
    "--text-match",
    type=click.Choice(["contains-ci", "exact-cs"]),
    default="contains-ci",
    show_default=True,
    help="How text filters compare without <Field>_comparison: Contains ignoring case (as the "
    "live API), or Equals, case-sensitive.",
)
def sandbox(
    port: int,
    records: tuple[str, ...],
    latency_ms: float,
    rate_limit: float | None,
    seed: int,
    interactive: bool,
    text_match: str,
) -> None:
    """Serve the local API emulator over HTTPS until Ctrl-C."""
    from asperion_orm.testing.serve import sandbox_options, serve

    try:
        options = sandbox_options(
            port=port,
            records=records,
            latency_ms=latency_ms,
            rate_limit=rate_limit,
            seed=seed,
            interactive=interactive,
            text_match=text_match,
        )
    except ValueError as exc:
        raise InputError(f"--records: {exc}") from exc
    stop = _stop_event()
    serve(options, out=sys.stdout, stop=stop)


def _stop_event() -> threading.Event:
    """Return an event set by Ctrl-C/SIGTERM (in the main thread) or left to the caller."""
    from asperion_orm.testing.serve import stop_on_signals

    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        stop_on_signals(stop)
    return stop


# -- asperion login ------------------------------------------------------------------------------


class _Callback(http.server.BaseHTTPRequestHandler):
    """Receive the redirect from the identity server on the loopback listener."""

    server: _Listener
    timeout = 10.0
    """Seconds a connection may stay silent before it is dropped (its thread, not the wait)."""

    def do_GET(self) -> None:
        """Hand the redirect's query to the listener; answer with a short page."""
        parts = urlsplit(self.path)
        if parts.path != "/callback":
            self.send_error(404)
            return
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if not self.server.offer(query):
            self._page(400, "This is not the login asperion is waiting for; it was ignored.")
        elif "error" in query:
            self._page(200, "The login was refused. You can close this tab.")
        else:
            self._page(200, "Logged in. You can close this tab.")

    def _page(self, status: int, text: str) -> None:
        body = f"<!doctype html><title>asperion</title><p>{text}</p>".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Stay quiet: the query string holds the authorization code."""


class _Listener(http.server.ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 for the OAuth redirect (RFC 8252).

    Each connection has its own thread, so a local program that connects and sends nothing
    delays neither the browser's redirect nor the timeout. Only a redirect carrying the state
    this login issued ends the wait; any other is answered 400 and ignored.
    """

    daemon_threads = True

    def __init__(self, address: tuple[str, int]) -> None:
        """Listen on ``address``; serving starts in :meth:`wait`."""
        super().__init__(address, _Callback)
        self._state: bytes | None = None
        self._result: dict[str, str] | None = None
        self._arrived = threading.Event()
        self._result_lock = threading.Lock()

    @property
    def redirect_uri(self) -> str:
        """Return ``http://127.0.0.1:PORT/callback``."""
        return f"http://127.0.0.1:{self.server_address[1]}/callback"

    def offer(self, query: dict[str, str]) -> bool:
        """Take a redirect's query if it carries the expected state; tell whether it did."""
        state = query.get("state", "").encode()
        if self._state is None or not secrets.compare_digest(state, self._state):
            return False
        with self._result_lock:
            if self._result is None:
                self._result = query
                self._arrived.set()
        return True

    def wait(self, state: str, timeout: float) -> dict[str, str]:
        """Serve until the redirect for ``state`` arrives; give up after ``timeout`` seconds."""
        self._state = state.encode()
        serving = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        serving.start()
        try:
            if not self._arrived.wait(timeout) or self._result is None:
                raise click.ClickException("No login arrived at the redirect URI in time.")
            return self._result
        finally:
            self.shutdown()
            serving.join()


def _code_from(result: Mapping[str, str]) -> str:
    """Return the code of a redirect (its state already checked), reporting a refusal."""
    if "error" in result:
        detail = result.get("error_description") or result["error"]
        raise click.ClickException(f"The login was refused: {one_line(Exception(detail))}")
    code = result.get("code")
    if not code:
        raise click.ClickException("The login redirect carried no code; try again.")
    return code


@cli.command()
@connection_options
@click.option("--port", type=int, default=0, help="Loopback port for the redirect (0: free).")
@click.option("--no-browser", is_flag=True, help="Only print the URL; do not open a browser.")
@click.option("--timeout", type=float, default=300.0, show_default=True, help="Seconds to wait.")
@click.pass_obj
def login(env: Environment, /, port: int, no_browser: bool, timeout: float, **options: Any) -> None:
    """Log in through the browser and store the tokens for the other commands."""
    directory = private_directory(config_dir())
    with _Listener(("127.0.0.1", port)) as listener:
        profile = _profile(options).merged({"redirect_uri": listener.redirect_uri})
        client = profile.client(directory / "tokens.json")
        with client:
            state = secrets.token_urlsafe(24)
            url = client.authorization_url(state=state)
            click.echo("Open this URL in a browser to log in:", err=True)
            click.echo(f"  {url}", err=True)
            if not no_browser:
                env.open_url(url)
            click.echo(f"Waiting for the login at {listener.redirect_uri} ...", err=True)
            client.fetch_token(_code_from(listener.wait(state, timeout)), state=state)
            profile.save(directory)
            count = len(client.administrations())
    click.echo(f"Logged in; tokens stored in {directory / 'tokens.json'}.")
    click.echo(f"{count} administration(s) reachable; list them with `asperion tenants`.")


# -- asperion tenants ----------------------------------------------------------------------------


@cli.command()
@connection_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def tenants(fmt: str, **options: Any) -> None:
    """List the administrations the logged-in user can reach (default first)."""
    with _logged_in_client(options) as client:
        rows = [{"id": row.get("id"), "name": row.get("name")} for row in client.administrations()]
    write_rows(rows, ["id", "name"], fmt, sys.stdout)


# -- asperion get --------------------------------------------------------------------------------


def parse_filter(model: type[Model], text: str) -> tuple[str, Any]:
    """Turn ``field__lookup=value`` (strings from the shell) into a keyword and a typed value."""
    from asperion_orm.orm.lookups import LOOKUP_SEP, LOOKUPS

    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise InputError(f"expected FIELD=VALUE or FIELD__LOOKUP=VALUE, got {text!r}")
    name, _, lookup = key.partition(LOOKUP_SEP)
    field_ = model._meta.get_field(name)
    lookup = lookup or "exact"
    if lookup not in LOOKUPS:
        choices = ", ".join(sorted(LOOKUPS))
        raise InputError(f"unknown lookup {lookup!r} in {key!r}; choose from {choices}")
    return key, _typed(field_, lookup, raw)


def _typed(field_: Field[Any], lookup: str, raw: str) -> Any:
    """Convert the shell text of a lookup value into the field's Python type."""
    if lookup == "isnull":
        return _boolean(raw)
    if lookup in ("in", "range"):
        return [_value(field_, item.strip()) for item in raw.split(",")]
    if lookup in TEXT_LOOKUPS:
        return raw
    return _value(field_, raw)


def _value(field_: Field[Any], raw: str) -> Any:
    """Return ``raw`` as the field's type: as text when it takes text, else as a JSON literal.

    A date or a datetime without an offset, given for a datetime field, is a naive datetime:
    the query takes it in the client's time zone (``2025-01-01`` is that day's start there).
    """
    from asperion_orm.orm.fields import DateTime

    if isinstance(field_, DateTime):
        try:
            return dt.datetime.fromisoformat(raw)
        except ValueError:
            raise InputError(
                f"{raw!r} is not a date or datetime for {field_.name!r}; "
                "write 2025-01-01 or 2025-01-01T09:30 (optionally with an offset, +01:00)"
            ) from None
    try:
        return field_.normalize(raw)
    except TypeError:
        pass
    try:
        return _json.loads(raw)
    except ValueError:
        raise InputError(f"{raw!r} is not a valid value for {field_.name!r}") from None


def _boolean(raw: str) -> bool:
    """Parse true/false (also 1/0, yes/no)."""
    value = raw.strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise InputError(f"expected true or false, got {raw!r}")


def build_queryset(
    model: type[Model],
    filters: Sequence[str],
    order: Sequence[str],
    limit: int | None,
    names: Sequence[str],
) -> QuerySet[Any]:
    """Return the values() queryset a ``get`` command describes (no I/O)."""
    qs: QuerySet[Any] = model._meta.default_manager.all()
    for text in filters:
        key, value = parse_filter(model, text)
        with warnings.catch_warnings():
            # A naive datetime from the shell is meant in the client's zone, as the help says.
            warnings.filterwarnings("ignore", "DateTimeField .* received a naive datetime")
            qs = qs.filter(**{key: value})
    if order:
        qs = qs.order_by(*order)
    qs = qs.values(*names)
    if limit is not None:
        if limit < 0:
            raise InputError("--limit must be 0 or more")
        qs = qs[:limit]
    return qs


def _columns(model: type[Model], names: Sequence[str]) -> list[tuple[str, Field[Any]]]:
    """Return (key, field) for the requested fields, or every field."""
    if names:
        return [(name, model._meta.get_field(name)) for name in names]
    return [(f.attname, f) for f in model._meta.fields.values()]


def _api_row(row: Mapping[str, Any], columns: Sequence[tuple[str, Field[Any]]]) -> dict[str, Any]:
    """Return a values() row with every value in its JSON form."""
    return {key: _json_value(field_, row.get(key)) for key, field_ in columns}


def _json_value(field_: Field[Any], value: Any) -> Any:
    """Return a value's JSON form; nested objects keyed by attribute name, as top-level rows."""
    from asperion_orm.orm.fields import Nested

    if not isinstance(field_, Nested) or value is None:
        return field_.to_api(value)
    if field_.many:
        return [_json_object(item) for item in value]
    return _json_object(value)


def _json_object(obj: Model) -> dict[str, Any]:
    fields = obj._meta.fields.values()
    return {f.attname: _json_value(f, getattr(obj, f.attname)) for f in fields}


@cli.command(name="get")
@connection_options
@click.argument("resource")
@click.option("-f", "--filter", "filters", multiple=True, metavar="FIELD[__LOOKUP]=VALUE")
@click.option("--order", multiple=True, metavar="[-]FIELD", help="Sort by a field (repeatable).")
@click.option("--limit", type=int, default=None, help="At most this many rows.")
@click.option("--fields", "field_list", default="", metavar="A,B", help="Only these fields.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None)
@click.option("--tenant", type=int, default=None, help="Administration id (default: the first).")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a tty).")
def get_command(
    resource: str,
    filters: tuple[str, ...],
    order: tuple[str, ...],
    limit: int | None,
    field_list: str,
    fmt: str,
    output: str | None,
    tenant: int | None,
    progress: bool | None,
    **options: Any,
) -> None:
    """Read RESOURCE rows, filtered and ordered, as a table, JSON, JSON lines or CSV."""
    model = resource_model(resource)
    names = [name.strip() for name in field_list.split(",") if name.strip()]
    columns = _columns(model, names)
    qs = build_queryset(model, filters, order, limit, [key for key, _ in columns])
    with _logged_in_client(options) as client:
        session = client.tenant(tenant if tenant is not None else _default_tenant(client))
        qs = qs.using(session)
        show = sys.stderr.isatty() if progress is None else progress
        with _opened(output) as out, _notes():
            rows = (_api_row(row, columns) for row in _with_progress(qs, show))
            write_rows(rows, [key for key, _ in columns], fmt, out)


@contextlib.contextmanager
def _notes() -> Iterator[None]:
    """Show warnings (such as local evaluation) as ``Note:`` lines on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for message in dict.fromkeys(str(w.message) for w in caught):
        click.echo(f"Note: {one_line(Exception(message))}", err=True)


def _default_tenant(client: Client) -> int:
    """Return the user's default administration (the first one listed)."""
    rows = client.administrations()
    if not rows:
        raise click.ClickException("This user can reach no administration.")
    return int(rows[0]["id"])


def _with_progress(qs: QuerySet[Any], show: bool) -> Iterator[Any]:
    """Yield the rows, with a progress bar on stderr when more than one page is read."""
    if not show:
        yield from qs.iterator()
        return
    from tqdm import tqdm

    total = qs.count()
    one_page = total <= qs.model._meta.max_page_size
    with tqdm(total=total, unit="row", file=sys.stderr, disable=one_page) as bar:
        for row in qs.iterator():
            bar.update(1)
            yield row


@contextlib.contextmanager
def _opened(path: str | None) -> Iterator[IO[str]]:
    """Open ``path`` for writing, or yield stdout."""
    if path is None:
        yield sys.stdout
        return
    with open(path, "w", encoding="utf-8", newline="") as handle:
        yield handle


# -- output formats ------------------------------------------------------------------------------


def write_rows(
    rows: Iterable[Mapping[str, Any]], keys: Sequence[str], fmt: str, out: IO[str]
) -> None:
    """Write JSON-form rows as a table, a JSON array, JSON lines or CSV."""
    writer = _WRITERS[fmt]
    writer(rows, keys, out)


def _text(value: Any) -> str:
    """Return a cell's text: '' for null, JSON for lists and objects."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return _json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _write_table(rows: Iterable[Mapping[str, Any]], keys: Sequence[str], out: IO[str]) -> None:
    """Write aligned columns under a header line (reads all rows to size the columns)."""
    cells = [[_text(row.get(key)) for key in keys] for row in rows]
    widths = [max([len(key), *(len(line[i]) for line in cells)]) for i, key in enumerate(keys)]
    for line in [list(keys), *cells]:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        out.write("\n")


def _write_json(rows: Iterable[Mapping[str, Any]], keys: Sequence[str], out: IO[str]) -> None:
    """Write a JSON array, one row a line, streaming."""
    out.write("[")
    for index, row in enumerate(rows):
        out.write(("," if index else "") + "\n  " + _json.dumps(dict(row)))
    out.write("\n]\n")


def _write_jsonl(rows: Iterable[Mapping[str, Any]], keys: Sequence[str], out: IO[str]) -> None:
    """Write one JSON object per line."""
    for row in rows:
        out.write(_json.dumps(dict(row)) + "\n")


def _write_csv(rows: Iterable[Mapping[str, Any]], keys: Sequence[str], out: IO[str]) -> None:
    """Write CSV with a header row."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(keys)
    for row in rows:
        writer.writerow([_text(row.get(key)) for key in keys])


_WRITERS: dict[str, Callable[[Iterable[Mapping[str, Any]], Sequence[str], IO[str]], None]] = {
    "table": _write_table,
    "json": _write_json,
    "jsonl": _write_jsonl,
    "csv": _write_csv,
}


# -- asperion probe ------------------------------------------------------------------------------


def capabilities_path() -> Path:
    """Return where ``asperion probe`` writes the capabilities by default."""
    return config_dir() / "capabilities.json"


def _check_probe_options(allow_writes: bool, write_tenant: int | None) -> None:
    """Refuse a write option without the other, saying what to add."""
    if allow_writes and write_tenant is None:
        raise click.UsageError(
            "--allow-writes needs --write-tenant ID: name a test administration the probe may "
            "create and delete one debtor in (list them with `asperion tenants`)."
        )
    if write_tenant is not None and not allow_writes:
        raise click.UsageError(
            "--write-tenant is only used with --allow-writes; add --allow-writes to let the "
            "probe create and delete one debtor there, or leave both out to only read."
        )


def _reachable(client: Client, tenant: int | None, write_tenant: int | None) -> int:
    """Return the administration to probe, refusing ids the user cannot reach."""
    ids = [row.id for row in client.administrations() if row.id is not None]
    if not ids:
        raise click.ClickException("This user can reach no administration.")
    for option, value in (("--tenant", tenant), ("--write-tenant", write_tenant)):
        if value is not None and value not in ids:
            raise InputError(
                f"{option} {value} is not an administration this user can reach; list them "
                "with `asperion tenants`."
            )
    return tenant if tenant is not None else ids[0]


def _writable_directory(path: Path) -> None:
    """Create the directory of ``path``, or say what to pass instead."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot write {path} ({exc.strerror or exc}); pass --out with a file in a "
            "writable directory."
        ) from None
    if not os.access(path.parent, os.W_OK):
        raise InputError(f"cannot write into {path.parent}; pass --out with a writable path.")


def _found(finding: Finding) -> str:
    """Return a finding's value as the table shows it."""
    text = "unknown" if finding.value is None else _text(finding.value)
    return text if finding.measured else f"{text} (default kept)"


def write_findings(result: ProbeResult, out: IO[str]) -> None:
    """Write the findings as a table, then each one's judgement and requests."""
    rows = [{"check": f.name, "found": _found(f)} for f in result.findings]
    _write_table(rows, ["check", "found"], out)
    out.write("\nEvidence (request -> status: answer):\n")
    for finding in result.findings:
        out.write(f"\n{finding.name}: {finding.note}\n")
        for exchange in finding.exchanges:
            out.write(f"  {exchange}\n")


@cli.command(name="probe")
@connection_options
@click.option(
    "--tenant",
    type=click.IntRange(min=1),
    default=None,
    help="Administration to read from (default: the user's default).",
)
@click.option(
    "--allow-writes",
    is_flag=True,
    help="Also create one throwaway debtor in --write-tenant and delete it.",
)
@click.option(
    "--write-tenant",
    type=click.IntRange(min=1),
    default=None,
    help="A test administration the probe may write to (with --allow-writes).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Where to write the capabilities (default: capabilities.json in the config dir).",
)
def probe_command(
    tenant: int | None,
    allow_writes: bool,
    write_tenant: int | None,
    out: Path | None,
    **options: Any,
) -> None:
    """Measure what the API does and write a capabilities file for Client(capabilities=...).

    Sends at most 22 reads to the API (the probe's 21 and the list of administrations) and
    3 requests to the identity server (one a token refresh); with --allow-writes also one
    create and one delete.
    """
    _check_probe_options(allow_writes, write_tenant)
    from asperion_orm.probe import probe

    path = out or capabilities_path()
    _writable_directory(path)  # fail on a bad --out before any request
    # The probe assumes nothing: an earlier file (maybe for another environment) is not read.
    with _logged_in_client(options, Capabilities()) as client:
        target = _reachable(client, tenant, write_tenant)
        result = probe(client, target, allow_writes=allow_writes, write_tenant=write_tenant)
    result.capabilities.save(path)
    click.echo(f"Probed {result.capabilities.base_url} in administration {target}.\n")
    write_findings(result, sys.stdout)
    click.echo(
        f"\nCapabilities written to {path}; load them with Client(capabilities={str(path)!r})."
    )


# -- asperion inspectapi, asperion demo ----------------------------------------------------------


@cli.command(context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def inspectapi(args: tuple[str, ...]) -> None:
    """Print model classes for a Swagger/OpenAPI file (``asperion inspectapi SPEC --help``)."""
    generator = importlib.import_module("asperion_orm.inspectapi")
    status = int(generator.main(list(args)))
    if status:
        sys.exit(status)


@cli.command()
def demo() -> None:
    """Run the quickstart tour against an embedded sandbox (no account needed)."""
    from asperion_orm.testing.quickstart import main as tour

    tour(out=sys.stdout)


# -- entry point ---------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="asperion",
                 standalone_mode=False)  # fmt: skip
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
