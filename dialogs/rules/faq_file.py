"""The FAQ file (docs/design.md, "FAQ file"): schema, whole-file checks and a lossless export.

The same schema checks an entry a coordinator edits in chat, so that a form and a file accept
exactly the same entries.
"""

from __future__ import annotations

import yaml
from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator, model_validator

from cards.i18n import LANGUAGES
from dialogs.rules.org_file import SLUG
from dialogs.rules.topics import check_topic
from dialogs.rules.yaml_files import FileError, FileInvalid, load_located, validate_model
from storage.faq_repository import FaqLink, FaqRecord, FaqText


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FaqTextSpec(_Strict):
    question: str = Field(min_length=3, max_length=500)
    variants: list[str] = Field(default_factory=list)
    # Plain, short steps: a longer answer would also overflow Teams' 28 KB card limit.
    answer: str = Field(min_length=1, max_length=6_000)


class FaqLinkSpec(_Strict):
    title: str = Field(min_length=1, max_length=200)
    url: str = Field(pattern=r"^https://\S+$", max_length=2000)


class FaqEntrySpec(_Strict):
    id: str = Field(pattern=SLUG)
    topic: str | None = None
    # At most three: with the card's three buttons that is Teams' limit of six actions.
    links: list[FaqLinkSpec] = Field(default_factory=list, max_length=3)
    # The IT helpdesk's entry (a fault, not know-how): its card offers the helpdesk, not a mentor.
    helpdesk: bool = False
    fi: FaqTextSpec | None = None
    sv: FaqTextSpec | None = None
    en: FaqTextSpec | None = None

    @field_validator("topic")
    @classmethod
    def _topic(cls, topic: str | None) -> str | None:
        return None if topic is None else check_topic(topic)

    @model_validator(mode="after")
    def _one_language(self) -> "FaqEntrySpec":
        if not self.texts():
            raise ValueError("an entry needs at least one language (fi, sv or en)")
        return self

    def texts(self) -> dict[str, FaqTextSpec]:
        return {lang: getattr(self, lang) for lang in LANGUAGES if getattr(self, lang) is not None}

    def to_record(self) -> FaqRecord:
        return FaqRecord(
            id=self.id, topic=self.topic, links=tuple(FaqLink(link.title, link.url) for link in self.links),
            texts={lang: FaqText(t.question, tuple(t.variants), t.answer) for lang, t in self.texts().items()},
            helpdesk=self.helpdesk,
        )

    @classmethod
    def document_of(cls, record: FaqRecord) -> dict:
        """The record as the plain data this schema reads (and a file writes)."""
        document: dict = {"id": record.id}
        if record.topic:
            document["topic"] = record.topic
        if record.links:
            document["links"] = [{"title": link.title, "url": link.url} for link in record.links]
        if record.helpdesk:
            # Written only when set, so that a file without it round-trips unchanged.
            document["helpdesk"] = True
        for language in LANGUAGES:
            text = record.texts.get(language)
            if text is not None:
                variants = {"variants": list(text.variants)} if text.variants else {}
                document[language] = {"question": text.question, **variants, "answer": text.answer}
        return document


class FaqFile(RootModel[list[FaqEntrySpec]]):
    pass


def parse_faq_file(text: str, filename: str = "faq.yaml") -> list[FaqRecord]:
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
    return [entry.to_record() for entry in entries]


class _LiteralDumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _str)


def render_faq_file(entries: list[FaqRecord]) -> str:
    """YAML that parse_faq_file reads back into equal records."""
    documents = [FaqEntrySpec.document_of(entry) for entry in entries]
    return yaml.dump(documents, Dumper=_LiteralDumper, allow_unicode=True, sort_keys=False, width=100)
