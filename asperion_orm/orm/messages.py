"""Client-side validation messages, worded as the API words its own, in its two languages.

A value the client refuses before sending reads the same as the server's refusal would, in the
client's ``language`` ("nl-NL": "Het veld Name mag maximaal 100 tekens bevatten.").
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEFAULT_LANGUAGE", "display_name", "message"]

DEFAULT_LANGUAGE = "en-US"

_MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("The {field} field is required.", "Het veld {field} is verplicht."),
    "not_null": ("The {field} field may not be null.", "Het veld {field} mag niet leeg zijn."),
    "max_length": (
        "The field {field} must be a string with a maximum length of {limit}.",
        "Het veld {field} mag maximaal {limit} tekens bevatten.",
    ),
    "email": (
        "The {field} field is not a valid e-mail address.",
        "Het veld {field} is geen geldig e-mailadres.",
    ),
    "enum": (
        "The value '{value}' is not valid for {field}; allowed: {choices}.",
        "De waarde '{value}' is ongeldig voor {field}; toegestaan: {choices}.",
    ),
    "invalid": (
        "The value for {field} is not valid: {reason}",
        "De waarde van {field} is ongeldig: {reason}",
    ),
}


def message(language: str, code: str, **values: Any) -> str:
    """Format the message ``code`` in ``language``: Dutch for any ``nl`` tag, else English."""
    return _MESSAGES[code][_index(language)].format(**values)


def display_name(api_name: str) -> str:
    """Return a field's API name as the server's messages show it (first letter upper-case)."""
    return api_name[:1].upper() + api_name[1:]


def _index(language: str) -> int:
    first = language.split(",", 1)[0].split(";", 1)[0].strip().lower()
    return 1 if first.split("-", 1)[0] == "nl" else 0
