"""The survey instrument file (docs/design.md, "Survey instrument file"): a versioned definition of
areas, items and the answer scale, validated as a whole, and written back losslessly.

`parse_instrument_file` returns an `Instrument` or raises FileInvalid listing every problem with
its line and field; `render_instrument_file` writes the same definition back. The stored form is
`Instrument.definition`, the validated document with every default filled in, so that an
exported file imported again is recognised as the same version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from cards.i18n import LANGUAGES
from dialogs.rules.topics import check_topic
from dialogs.rules.yaml_files import FileError, FileInvalid, load_located, validate_model

# Input ids of the answer card are the item ids; these names carry the card's own data.
RESERVED_IDS = frozenset({"verb", "round_id", "area", "direction", "revision"})
ID = r"^[a-z0-9][a-z0-9_-]{0,49}$"
SCALE = ("1", "2", "3", "4", "5")
CANT_SAY = 0  # the value of "I can't say"
EVERYONE, SUPERVISORS = "everyone", "supervisors"
# A card per area: more areas make a survey nobody finishes, more items a card too long to read.
MAX_AREAS, MAX_ITEMS = 12, 10

Language = Literal[LANGUAGES]
Localized = dict[Language, str]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _texts(value: dict[str, str], limit: int) -> dict[str, str]:
    if not value:
        raise ValueError("give the text in at least one language (fi, sv or en)")
    for language, text in value.items():
        if not text:
            raise ValueError(f"the {language} text is empty")
        if len(text) > limit:
            raise ValueError(f"the {language} text has {len(text)} characters; at most {limit}")
    return value


class ItemSpec(_Strict):
    id: str = Field(pattern=ID)
    text: Localized

    @field_validator("text")
    @classmethod
    def _text(cls, value: dict[str, str]) -> dict[str, str]:
        return _texts(value, 300)


class AreaSpec(_Strict):
    id: str = Field(pattern=ID)
    audience: Literal["everyone", "supervisors"] = EVERYONE
    title: Localized
    # What support the area points to: FAQ entries of these topics for a respondent who rates
    # it low, and a hand-off to mentors who know the first mentor topic.
    faq_topics: list[str] = Field(default_factory=list, max_length=10)
    mentor_topics: list[str] = Field(default_factory=list, max_length=10)
    items: list[ItemSpec] = Field(min_length=1, max_length=MAX_ITEMS)

    @field_validator("title")
    @classmethod
    def _title(cls, value: dict[str, str]) -> dict[str, str]:
        return _texts(value, 120)

    @field_validator("faq_topics", "mentor_topics")
    @classmethod
    def _topics(cls, topics: list[str]) -> list[str]:
        for topic in topics:
            check_topic(topic)
        return topics


class ScaleSpec(_Strict):
    labels: dict[Literal[SCALE], Localized]
    cant_say: Localized
    # An area whose own mean is below this is "low" in the respondent's profile.
    low_below: float = Field(default=3.0, ge=1, le=5)

    @field_validator("labels")
    @classmethod
    def _labels(cls, labels: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        missing = [value for value in SCALE if value not in labels]
        if missing:
            raise ValueError(f"the scale is 1-5: label every value; missing {', '.join(missing)}")
        for value in SCALE:
            _texts(labels[value], 80)
        return {value: labels[value] for value in SCALE}

    @field_validator("cant_say")
    @classmethod
    def _cant_say(cls, value: dict[str, str]) -> dict[str, str]:
        return _texts(value, 80)


class HeaderSpec(_Strict):
    id: str = Field(pattern=ID)
    version: int = Field(ge=1, le=1_000_000)
    name: Localized
    intro: Localized = Field(default_factory=dict)
    minutes: int = Field(default=10, ge=1, le=120)  # about how long answering takes

    @field_validator("name")
    @classmethod
    def _name(cls, value: dict[str, str]) -> dict[str, str]:
        return _texts(value, 120)

    @field_validator("intro")
    @classmethod
    def _intro(cls, value: dict[str, str]) -> dict[str, str]:
        return _texts(value, 1000) if value else value


class InstrumentFile(_Strict):
    instrument: HeaderSpec
    scale: ScaleSpec
    areas: list[AreaSpec] = Field(min_length=1, max_length=MAX_AREAS)


def localized(texts: dict[str, str], language: str) -> str:
    """The text in the language, else in Finnish, else in any language it has."""
    return texts.get(language) or texts.get("fi") or next(iter(texts.values()), "")


@dataclass(frozen=True)
class Item:
    id: str
    text: dict[str, str]


@dataclass(frozen=True)
class Area:
    id: str
    audience: str
    title: dict[str, str]
    faq_topics: tuple[str, ...]
    mentor_topics: tuple[str, ...]
    items: tuple[Item, ...]

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)


@dataclass(frozen=True)
class Instrument:
    id: str
    version: int
    definition: dict  # the validated document, as stored and as exported

    def name(self, language: str) -> str:
        return localized(self.definition["instrument"]["name"], language)

    def intro(self, language: str) -> str:
        intro = self.definition["instrument"].get("intro") or {}
        return localized(intro, language) if intro else ""

    @property
    def minutes(self) -> int:
        return self.definition["instrument"]["minutes"]

    def scale_label(self, value: int, language: str) -> str:
        scale = self.definition["scale"]
        return localized(scale["cant_say"] if value == CANT_SAY else scale["labels"][str(value)], language)

    @property
    def low_below(self) -> float:
        return float(self.definition["scale"]["low_below"])

    @property
    def areas(self) -> tuple[Area, ...]:
        return tuple(Area(a["id"], a["audience"], a["title"], tuple(a["faq_topics"]), tuple(a["mentor_topics"]),
                          tuple(Item(i["id"], i["text"]) for i in a["items"]))
                     for a in self.definition["areas"])

    def sequence(self, supervisor: bool) -> tuple[Area, ...]:
        """The areas a respondent answers, in order: everyone's, and a supervisor's own after them."""
        areas = self.areas
        return (tuple(a for a in areas if a.audience == EVERYONE)
                + (tuple(a for a in areas if a.audience == SUPERVISORS) if supervisor else ()))

    def area(self, area_id: str) -> Area | None:
        return next((a for a in self.areas if a.id == area_id), None)

    @property
    def item_areas(self) -> dict[str, str]:
        return {item.id: area.id for area in self.areas for item in area.items}


def instrument_from(definition: dict) -> Instrument:
    """An instrument from its stored definition (validated when it was imported)."""
    header = definition["instrument"]
    return Instrument(header["id"], int(header["version"]), definition)


def parse_instrument_file(text: str, filename: str = "survey.yaml") -> Instrument:
    document = load_located(text, filename)
    if not isinstance(document.data, dict):
        raise FileInvalid(filename, [FileError(1, "", "expected a mapping with instrument, scale and areas")])
    spec = validate_model(document, InstrumentFile, filename)
    problems: list[FileError] = []
    seen: dict[str, str] = {}
    for index, area in enumerate(spec.areas):
        where = ["areas", index]
        if area.id in seen:
            problems.append(document.error(where + ["id"], f"{area.id!r} is already the id of {seen[area.id]}"))
        seen.setdefault(area.id, f"area {area.id!r}")
        for number, item in enumerate(area.items):
            if item.id in RESERVED_IDS:
                problems.append(document.error(where + ["items", number, "id"],
                                               f"{item.id!r} is reserved for the answer card's own data"))
            elif item.id in seen:
                problems.append(document.error(where + ["items", number, "id"],
                                               f"{item.id!r} is already the id of {seen[item.id]}"))
            seen.setdefault(item.id, f"item {item.id!r}")
    if not any(area.audience == EVERYONE for area in spec.areas):
        problems.append(document.error(["areas"], "at least one area must be for everyone (audience: everyone)"))
    if problems:
        raise FileInvalid(filename, problems)
    definition = spec.model_dump(mode="json")
    return Instrument(spec.instrument.id, spec.instrument.version, definition)


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def render_instrument_file(instrument: Instrument) -> str:
    """YAML that parse_instrument_file reads back into the same definition."""
    return yaml.dump(instrument.definition, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
