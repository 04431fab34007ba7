"""Reading an inbound request body into a plain JSON document that nothing downstream can choke
on: a bounded nesting depth, and strings without NUL characters or lone UTF-16 surrogates, which
PostgreSQL refuses and UTF-8 cannot encode."""

from __future__ import annotations

import json

# A Teams activity nests about ten levels deep; far more is an attack on the parsers after us.
MAX_DEPTH = 64


class UnreadableBody(ValueError):
    """The body is not a JSON document we accept; the message says why (for the 400)."""


def read_document(body: bytes) -> object:
    try:
        document = json.loads(body)
    except RecursionError:
        raise UnreadableBody(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UnreadableBody("body is not valid JSON") from None
    return _cleaned(document)


def _cleaned(document: object) -> object:
    """A copy with every string cleaned, walked without recursion so depth cannot hurt."""
    root: list[object] = [None]
    stack: list[tuple[object, object, object, int]] = [(document, root, 0, 1)]
    while stack:
        node, parent, slot, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise UnreadableBody(f"JSON nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            copy: dict | list = {}
            stack.extend((value, copy, _clean_text(key), depth + 1) for key, value in node.items())
        elif isinstance(node, list):
            copy = [None] * len(node)
            stack.extend((value, copy, index, depth + 1) for index, value in enumerate(node))
        else:
            copy = _clean_text(node) if isinstance(node, str) else node
        parent[slot] = copy  # type: ignore[index]
    return root[0]


def _clean_text(text: str) -> str:
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")  # a lone surrogate becomes "?"
    return text
