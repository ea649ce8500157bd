"""Personal data typed into free text that is not marked ``pii``: e-mail, phone, card and My Number.

Pure detection, used when a task's form is completed (``suspects``): the runtime then masks those values
in its event, flags the event (``pii_suspected``) and logs a warning that names the field and the kind,
never the value. It is a safety net for a blueprint that should have marked the field ``pii: true``.

- e-mail: ``local@domain.tld``;
- card number: 13-19 digits (spaces or hyphens between groups allowed) passing the Luhn check;
- My Number (Japan's individual number): 12 digits whose last is the check digit of the other eleven:
  with ``P(n)`` the n-th of them counted from the right and ``Q(n) = n + 1`` for n <= 6, ``n - 5`` for
  7 <= n <= 11, ``r = sum P(n)*Q(n) mod 11``; the check digit is 0 when ``r <= 1``, else ``11 - r``;
- phone number: 10-15 digits that start with ``+``, ``0`` or ``(``, or are written ``ddd-ddd-dddd``.

A run of digits is read as the first of card, My Number, phone it satisfies, so a card number is never
also counted as a phone number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .model import FieldDef

EMAIL, PHONE, CARD, MY_NUMBER = "email", "phone", "card", "my_number"
KINDS = (EMAIL, PHONE, CARD, MY_NUMBER)
MAX_SCAN = 10_000  # characters of one value looked at (form values are bounded anyway)

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# digits with single spaces, hyphens, dots or brackets between them, optionally a leading + or (
_NUMBER = re.compile(r"[+(]?\d(?:[ .()-]{0,2}\d)+")
_NANP = re.compile(r"\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}")


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check of a string of digits."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def my_number_check_digit(first11: str) -> int:
    """The check digit of the first eleven digits of a My Number (see the module docstring)."""
    total = 0
    for n, ch in enumerate(reversed(first11), start=1):
        q = n + 1 if n <= 6 else n - 5
        total += (ord(ch) - 48) * q
    r = total % 11
    return 0 if r <= 1 else 11 - r


def is_my_number(digits: str) -> bool:
    return len(digits) == 12 and digits.isdigit() and my_number_check_digit(digits[:11]) == int(digits[11])


def _number_kind(run: str) -> str | None:
    digits = "".join(ch for ch in run if ch.isdigit())
    if 13 <= len(digits) <= 19 and luhn_ok(digits):
        return CARD
    if is_my_number(digits):
        return MY_NUMBER
    if 10 <= len(digits) <= 15 and (run[0] in ("+", "0", "(") or _NANP.fullmatch(run) is not None):
        return PHONE
    return None


def find_pii(text: str) -> frozenset[str]:
    """The kinds of personal data ``text`` appears to hold (empty when none)."""
    text = text[:MAX_SCAN]
    found: set[str] = set()
    if _EMAIL.search(text):
        found.add(EMAIL)
    for match in _NUMBER.finditer(text):
        kind = _number_kind(match.group())
        if kind is not None:
            found.add(kind)
    return frozenset(found)


def suspects(form: Mapping[str, object], fields: Mapping[str, FieldDef]) -> dict[str, list[str]]:
    """Free-text form fields not marked ``pii`` whose value looks like personal data: name -> kinds."""
    out: dict[str, list[str]] = {}
    for name, value in form.items():
        fdef = fields.get(name)
        if (fdef is not None and (fdef.pii or fdef.type != "text")) or not isinstance(value, str):
            continue
        kinds = find_pii(value)
        if kinds:
            out[name] = sorted(kinds)
    return out


def describe(found: Mapping[str, Iterable[str]]) -> str:
    """``"notes (card, email)"``: names and kinds only, for a log line."""
    return ", ".join(f"{name} ({', '.join(kinds)})" for name, kinds in sorted(found.items()))
