"""Error and validation messages of the emulator, in en-US and nl-NL."""

from __future__ import annotations

from typing import Any

__all__ = ["LANGUAGES", "TITLES", "message", "problem_type", "title"]

LANGUAGES = ("en-US", "nl-NL")

_MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("The {field} field is required.", "Het veld {field} is verplicht."),
    "max_length": (
        "The field {field} must be a string with a maximum length of {limit}.",
        "Het veld {field} mag maximaal {limit} tekens bevatten.",
    ),
    "min_length": (
        "The field {field} must be at least {limit} characters long.",
        "Het veld {field} moet minstens {limit} tekens bevatten.",
    ),
    "not_null": ("The {field} field may not be null.", "Het veld {field} mag niet leeg zijn."),
    "type_integer": (
        "The value for {field} must be a whole number.",
        "De waarde van {field} moet een geheel getal zijn.",
    ),
    "type_number": (
        "The value for {field} must be a number.",
        "De waarde van {field} moet een getal zijn.",
    ),
    "type_string": (
        "The value for {field} must be a string.",
        "De waarde van {field} moet tekst zijn.",
    ),
    "type_boolean": (
        "The value for {field} must be true or false.",
        "De waarde van {field} moet true of false zijn.",
    ),
    "type_date": (
        "The value '{value}' for {field} is not a valid date (yyyy-MM-dd).",
        "De waarde '{value}' van {field} is geen geldige datum (jjjj-MM-dd).",
    ),
    "type_date-time": (
        "The value '{value}' for {field} is not a valid date and time (ISO 8601).",
        "De waarde '{value}' van {field} is geen geldige datum en tijd (ISO 8601).",
    ),
    "type_array": (
        "The value for {field} must be a list.",
        "De waarde van {field} moet een lijst zijn.",
    ),
    "type_envelope": (
        'The value for {field} must be an envelope {{"_data": [...]}}.',
        'De waarde van {field} moet een envelop {{"_data": [...]}} zijn.',
    ),
    "bare_list": (
        'The field {field} must be an envelope {{"_data": [...], "_meta": {{"totalCount": n}}}}, '
        "not a bare list.",
        'Het veld {field} moet een envelop {{"_data": [...], "_meta": {{"totalCount": n}}}} '
        "zijn, geen losse lijst.",
    ),
    "type_object": (
        "The value for {field} must be an object.",
        "De waarde van {field} moet een object zijn.",
    ),
    "email": (
        "The {field} field is not a valid e-mail address.",
        "Het veld {field} is geen geldig e-mailadres.",
    ),
    "enum": (
        "The value '{value}' is not valid for {field}; allowed: {choices}.",
        "De waarde '{value}' is ongeldig voor {field}; toegestaan: {choices}.",
    ),
    "range": (
        "The field {field} must be between {low} and {high}.",
        "Het veld {field} moet tussen {low} en {high} liggen.",
    ),
    "places": (
        "The field {field} may have at most {places} decimals.",
        "Het veld {field} mag maximaal {places} decimalen hebben.",
    ),
    "min_items": (
        "The field {field} needs at least {limit} item(s).",
        "Het veld {field} moet minstens {limit} regel(s) bevatten.",
    ),
    "max_items": (
        "The field {field} may have at most {limit} items.",
        "Het veld {field} mag maximaal {limit} regels bevatten.",
    ),
    "read_only": (
        "The field {field} is read-only and cannot be written.",
        "Het veld {field} is alleen-lezen en kan niet worden gewijzigd.",
    ),
    "unknown_field": (
        "The field {field} is not known.",
        "Het veld {field} is onbekend.",
    ),
    "body_json": (
        "The request body is not valid JSON.",
        "De inhoud van het verzoek is geen geldige JSON.",
    ),
    "body_object": (
        "The request body must be a JSON object.",
        "De inhoud van het verzoek moet een JSON-object zijn.",
    ),
    "unknown_parameter": (
        "The query parameter '{name}' is not supported.",
        "De queryparameter '{name}' wordt niet ondersteund.",
    ),
    "repeated_parameter": (
        "The query parameter '{name}' may be given only once.",
        "De queryparameter '{name}' mag maar één keer voorkomen.",
    ),
    "page": (
        "The value '{value}' for {name} must be a whole number of at least 1.",
        "De waarde '{value}' voor {name} moet een geheel getal van minstens 1 zijn.",
    ),
    "meta_only": (
        "The value '{value}' for MetaOnly must be true or false.",
        "De waarde '{value}' voor MetaOnly moet true of false zijn.",
    ),
    "orderby": (
        "Cannot sort on '{value}'; sortable fields: {choices}.",
        "Sorteren op '{value}' is niet mogelijk; sorteerbare velden: {choices}.",
    ),
    "fields": (
        "Unknown field '{value}' in fields; known: {choices}.",
        "Onbekend veld '{value}' in fields; bekend: {choices}.",
    ),
    "filter_value": (
        "The value '{value}' is not valid for the filter {name}.",
        "De waarde '{value}' is ongeldig voor het filter {name}.",
    ),
    "comparison": (
        "The value '{value}' for {name} is not valid; allowed: {choices}.",
        "De waarde '{value}' voor {name} is ongeldig; toegestaan: {choices}.",
    ),
    "comparison_not_text": (
        "The parameter {name} is only allowed for text filters; {field} is not text.",
        "De parameter {name} mag alleen bij tekstfilters; {field} is geen tekst.",
    ),
    "validate_only": (
        "The value '{value}' for {name} must be true or false.",
        "De waarde '{value}' voor {name} moet true of false zijn.",
    ),
    "file_required": (
        "Send the file as the multipart/form-data part named File.",
        "Stuur het bestand als multipart/form-data-deel met de naam File.",
    ),
    "file_empty": ("The file is empty.", "Het bestand is leeg."),
    "file_too_large": (
        "The file is larger than {limit} bytes.",
        "Het bestand is groter dan {limit} bytes.",
    ),
    "unbalanced": (
        "The lines must balance: their amounts add up to {total}, not 0.",
        "De regels moeten in balans zijn: de bedragen tellen op tot {total}, niet tot 0.",
    ),
    "active_state": (
        "The value '{value}' for ActiveState must be Active, Inactive or All.",
        "De waarde '{value}' voor ActiveState moet Active, Inactive of All zijn.",
    ),
    "reference": (
        "The {target} with id {value} does not exist.",
        "De {target} met id {value} bestaat niet.",
    ),
    "approval_route": (
        "An approval route is required in this administration.",
        "In deze administratie is een goedkeuringsroute verplicht.",
    ),
    "tenant_header": (
        "The header {name} must be a whole number (an administration id).",
        "De header {name} moet een geheel getal zijn (een administratie-id).",
    ),
    "not_found": (
        "The {resource} with id {value} was not found.",
        "De {resource} met id {value} is niet gevonden.",
    ),
    "query_too_long": (
        "The query string is {length} bytes long; the server accepts at most {limit}.",
        "De querystring is {length} bytes lang; de server accepteert er hoogstens {limit}.",
    ),
    "no_route": (
        "No resource exists at {path}.",
        "Er bestaat geen resource op {path}.",
    ),
    "method": (
        "The method {method} is not allowed here; allowed: {allowed}.",
        "De methode {method} is hier niet toegestaan; toegestaan: {allowed}.",
    ),
    "unauthorized": (
        "The access token is missing, expired or unknown.",
        "Het toegangstoken ontbreekt, is verlopen of is onbekend.",
    ),
    "forbidden": (
        "You have no access to administration {value}.",
        "U heeft geen toegang tot administratie {value}.",
    ),
    "body_too_large": (
        "The request body exceeds {limit} bytes.",
        "De inhoud van het verzoek is groter dan {limit} bytes.",
    ),
    "server_error": (
        "An unexpected error occurred.",
        "Er is een onverwachte fout opgetreden.",
    ),
}

TITLES: dict[int, tuple[str, str]] = {
    400: (
        "One or more validation errors occurred.",
        "Er zijn een of meer validatiefouten opgetreden.",
    ),
    401: ("Unauthorized", "Niet geautoriseerd"),
    403: ("Forbidden", "Geen toegang"),
    404: ("Not Found", "Niet gevonden"),
    405: ("Method Not Allowed", "Methode niet toegestaan"),
    413: ("Content Too Large", "Inhoud te groot"),
    500: ("An error occurred while processing your request.", "Er is een fout opgetreden."),
}

_TYPES = {
    400: "https://tools.ietf.org/html/rfc9110#section-15.5.1",
    401: "https://tools.ietf.org/html/rfc9110#section-15.5.2",
    403: "https://tools.ietf.org/html/rfc9110#section-15.5.4",
    404: "https://tools.ietf.org/html/rfc9110#section-15.5.5",
    405: "https://tools.ietf.org/html/rfc9110#section-15.5.6",
    413: "https://tools.ietf.org/html/rfc9110#section-15.5.14",
    500: "https://tools.ietf.org/html/rfc9110#section-15.6.1",
}


def _index(language: str) -> int:
    return 1 if language == "nl-NL" else 0


def message(language: str, code: str, **values: Any) -> str:
    """Format the message ``code`` in ``language`` (en-US unless nl-NL)."""
    return _MESSAGES[code][_index(language)].format(**values)


def title(language: str, status: int) -> str:
    """Return the ProblemDetails title for ``status``."""
    return TITLES.get(status, TITLES[500])[_index(language)]


def problem_type(status: int) -> str:
    """Return the ProblemDetails ``type`` URI for ``status``."""
    return _TYPES.get(status, _TYPES[500])
