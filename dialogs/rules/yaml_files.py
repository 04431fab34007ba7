"""Reading admin YAML files so that every error can name the line and the field.

ruamel.yaml parses YAML 1.2 (where "Hur delar jag min kalender?" is a plain scalar even inside
{flow: mappings}, as the docs/design.md examples write it) and keeps line marks on every mapping
and sequence; pydantic validates the data and its error paths are mapped back onto those marks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

Location = Sequence[str | int]


@dataclass(frozen=True, order=True)
class FileError:
    line: int
    field: str
    message: str

    def render(self, filename: str) -> str:
        where = f"{filename}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class FileInvalid(ValueError):
    """The whole file is refused; `errors` lists every problem found, in line order."""

    def __init__(self, filename: str, errors: Iterable[FileError]) -> None:
        self.filename = filename
        self.errors = sorted(set(errors))
        super().__init__("\n".join(e.render(filename) for e in self.errors))


def field_path(location: Location) -> str:
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


class LocatedDocument:
    """The parsed data plus a way to find the line of any path inside it."""

    def __init__(self, data: Any, root: Any) -> None:
        self.data = data
        self._root = root

    def line_of(self, location: Location) -> int:
        node = self._root
        line = _own_line(node)
        for part in location:
            if isinstance(node, CommentedMap) and part in node:
                line = node.lc.key(part)[0] + 1
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                line = node.lc.item(part)[0] + 1
                node = node[part]
            else:
                break
        return line

    def error(self, location: Location, message: str) -> FileError:
        return FileError(self.line_of(location), field_path(location), message)


def _own_line(node: Any) -> int:
    lc = getattr(node, "lc", None)
    return lc.line + 1 if lc is not None and lc.line is not None else 1


def _plain(node: Any) -> Any:
    """ruamel's round-trip types, turned into plain dicts, lists and scalars for validation."""
    if isinstance(node, dict):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    if isinstance(node, str):
        return str(node)
    return node


def load_located(text: str, filename: str) -> LocatedDocument:
    """Parse YAML, refusing syntax errors and repeated keys with their line."""
    try:
        root = YAML(typ="rt", pure=True).load(text)
    except DuplicateKeyError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else 1
        problem = (error.problem or "found a duplicate key").split(" with value")[0]
        raise FileInvalid(filename, [FileError(line, "", f"repeated key: {problem}")]) from None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = f"not valid YAML: {error.problem or error.context}"
        raise FileInvalid(filename, [FileError(line, "", problem)]) from None
    except YAMLError as error:
        raise FileInvalid(filename, [FileError(1, "", f"not valid YAML: {error}")]) from None
    return LocatedDocument(_plain(root), root)


def validate_model(document: LocatedDocument, model: type[BaseModel], filename: str, data: Any = None) -> Any:
    """Validate with pydantic and turn its errors into FileErrors carrying lines."""
    try:
        return model.model_validate(document.data if data is None else data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            location = [part for part in item["loc"] if part != "[key]"]
            if item["type"] == "missing":
                parent = location[:-1]
                problems.append(FileError(document.line_of(parent), field_path(location), "required field is missing"))
            else:
                problems.append(document.error(location, item["msg"]))
        raise FileInvalid(filename, problems) from None
