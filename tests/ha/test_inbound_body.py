"""Properties of the inbound body checks over generated bodies: never raise, refuse exactly what is bad."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from custom_components.bpo.inbound_body import MAX_DEPTH, parse_body

# every code point, lone surrogates included, and plenty of the characters the depth scan must skip
CHARS = st.one_of(st.characters(codec=None, exclude_categories=()), st.sampled_from('[]{}"\\\ud800\udfff'))
TEXT = st.lists(CHARS, max_size=8).map("".join)  # st.text would drop the surrogates
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), TEXT
)
TREES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=12,
)


@st.composite
def deep(draw: st.DrawFn) -> Any:
    """A tree wrapped in up to 40 more arrays/objects, often right at the depth limit."""
    value = draw(TREES)
    wraps = draw(st.one_of(st.integers(0, 40), st.integers(MAX_DEPTH - 3, MAX_DEPTH)))
    for _ in range(wraps):
        value = [value] if draw(st.booleans()) else {draw(TEXT): value}
    return value


def nest(levels: int) -> Any:
    """An object holding arrays, ``levels`` deep in all."""
    value: Any = []
    for _ in range(levels - 2):
        value = [value]
    return {"v": value}


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, [*value.values()]), default=0)
    return 0


def paired(value: Any) -> Any:
    """``value`` with adjacent high+low surrogates joined, as a JSON decoder joins their escapes."""
    if isinstance(value, str):
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    if isinstance(value, list):
        return [paired(v) for v in value]
    if isinstance(value, dict):
        return {paired(k): paired(v) for k, v in value.items()}
    return value


def has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, list):
        return any(map(has_surrogate, value))
    if isinstance(value, dict):
        return any(has_surrogate(k) or has_surrogate(v) for k, v in value.items())
    return False


@given(st.binary(max_size=200))
def test_any_bytes_give_an_answer_not_an_exception(body: bytes) -> None:
    result = parse_body(body)
    assert isinstance(result, str | tuple)


@given(event=TEXT, data=deep(), ascii_only=st.booleans())
# the edges: the whole payload exactly MAX_DEPTH deep, and one more
@example(event="e", data=nest(MAX_DEPTH - 1), ascii_only=True)
@example(event="e", data=nest(MAX_DEPTH), ascii_only=True)
def test_refuses_exactly_what_is_too_deep_or_not_unicode(event: str, data: Any, ascii_only: bool) -> None:
    payload = paired({"event": event, "data": data})
    event, data = payload["event"], payload["data"]
    # without ensure_ascii a lone surrogate can only be sent as the invalid UTF-8 it encodes to
    body = json.dumps(payload, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    result = parse_body(body)
    if has_surrogate(payload) and not ascii_only:
        assert result == "body is not valid UTF-8"
    elif depth(payload) > MAX_DEPTH:
        assert result == f"body nests deeper than {MAX_DEPTH} levels"
    elif has_surrogate(payload):
        assert result == "body contains invalid Unicode (a lone surrogate escape)"
    elif not event.strip():
        assert result == "event must be a non-empty string"
    elif not isinstance(data, dict):
        assert result == "data must be a JSON object"
    else:
        assert result == (event.strip(), data)
