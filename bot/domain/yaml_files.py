"""Reading admin YAML files so that every error can name the line and the field.

PyYAML's composed node tree keeps line marks; pydantic validates the constructed data and
reports locations as paths, which are mapped back onto the node tree here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import yaml
from pydantic import BaseModel, ValidationError

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

    def __init__(self, data: Any, root: yaml.Node | None) -> None:
        self.data = data
        self._root = root

    def line_of(self, location: Location) -> int:
        node = self._root
        if node is None:
            return 1
        line = node.start_mark.line + 1
        for part in location:
            child = _child(node, part)
            if child is None:
                break
            key_node, node = child
            line = (key_node or node).start_mark.line + 1
        return line

    def error(self, location: Location, message: str) -> FileError:
        return FileError(self.line_of(location), field_path(location), message)


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == part:
                return key_node, value_node
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return None, node.value[part]
    return None


def _duplicate_keys(node: yaml.Node | None, path: list[str | int], found: list[tuple[list, yaml.Node]]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is not None and key in seen:
                found.append((path + [key], key_node))
            if key is not None:
                seen.add(key)
            _duplicate_keys(value_node, path + ([key] if key is not None else []), found)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _duplicate_keys(item, path + [index], found)


def load_located(text: str, filename: str) -> LocatedDocument:
    """Parse YAML, refusing syntax errors and repeated keys with their line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text) if root is not None else None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(error, "problem", None) or str(error)
        raise FileInvalid(filename, [FileError(line, "", f"not valid YAML: {problem}")]) from None
    duplicates: list[tuple[list, yaml.Node]] = []
    _duplicate_keys(root, [], duplicates)
    if duplicates:
        raise FileInvalid(
            filename,
            [FileError(node.start_mark.line + 1, field_path(path), "repeated key") for path, node in duplicates],
        )
    return LocatedDocument(data, root)


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
