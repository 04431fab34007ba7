"""The FAQ file (DESIGN.md, "FAQ file"): schema, whole-file checks and a lossless export."""

from __future__ import annotations

import yaml
from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator

from bot.domain.org_file import SLUG, TOPIC
from bot.domain.yaml_files import FileError, FileInvalid, load_located, validate_model

LANGUAGES = ("fi", "sv", "en")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FaqText(_Strict):
    question: str = Field(min_length=3, max_length=500)
    variants: list[str] = Field(default_factory=list)
    # Plain, short steps: a longer answer would also overflow Teams' 28 KB card limit.
    answer: str = Field(min_length=1, max_length=6_000)


class FaqLink(_Strict):
    title: str = Field(min_length=1, max_length=200)
    url: str = Field(pattern=r"^https://\S+$", max_length=2000)


class FaqEntrySpec(_Strict):
    id: str = Field(pattern=SLUG)
    topic: str | None = Field(default=None, pattern=TOPIC)
    # At most three: with the card's three buttons that is Teams' limit of six actions.
    links: list[FaqLink] = Field(default_factory=list, max_length=3)
    fi: FaqText | None = None
    sv: FaqText | None = None
    en: FaqText | None = None

    @model_validator(mode="after")
    def _one_language(self) -> "FaqEntrySpec":
        if not self.texts():
            raise ValueError("an entry needs at least one language (fi, sv or en)")
        return self

    def texts(self) -> dict[str, FaqText]:
        return {lang: getattr(self, lang) for lang in LANGUAGES if getattr(self, lang) is not None}


class FaqFile(RootModel[list[FaqEntrySpec]]):
    pass


def parse_faq_file(text: str, filename: str = "faq.yaml") -> list[FaqEntrySpec]:
    document = load_located(text, filename)
    if document.data is None:
        return []
    if not isinstance(document.data, list):
        raise FileInvalid(filename, [FileError(1, "", "expected a list of FAQ entries")])
    entries = validate_model(document, FaqFile, filename).root
    problems: list[FileError] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        if entry.id in seen:
            problems.append(document.error([index, "id"], f"duplicate entry id {entry.id!r}"))
        seen.add(entry.id)
    if problems:
        raise FileInvalid(filename, problems)
    return entries


class _LiteralDumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str):  # noqa: ANN202 - yaml representer
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _str)


def render_faq_file(entries: list[FaqEntrySpec]) -> str:
    """YAML that parse_faq_file reads back into equal entries."""
    documents = [entry.model_dump(exclude_none=True, exclude_defaults=True) for entry in entries]
    for document, entry in zip(documents, entries):
        document["id"] = entry.id
    ordered = [
        {key: doc[key] for key in ("id", "topic", "links", *LANGUAGES) if key in doc} for doc in documents
    ]
    return yaml.dump(ordered, Dumper=_LiteralDumper, allow_unicode=True, sort_keys=False, width=100)
