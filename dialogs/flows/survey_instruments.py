"""The survey instruments a round can use: those imported (`app.py import-survey`), or the one
shipped with the product until an admin imports another. A version is read once per process:
a version a round used never changes (storage/survey_instruments.py)."""

from __future__ import annotations

from dialogs.rules.survey_file import Instrument, instrument_from, parse_instrument_file, render_instrument_file
from dialogs.rules.yaml_files import FileError, FileInvalid, load_located
from storage.survey_instruments import SHIPPED_INSTRUMENT, InstrumentInUse, SurveyInstrumentRepository


def shipped_instrument() -> Instrument:
    return parse_instrument_file(SHIPPED_INSTRUMENT.read_text(encoding="utf-8"), SHIPPED_INSTRUMENT.name)


class Instruments:
    def __init__(self, repository: SurveyInstrumentRepository) -> None:
        self._repository = repository
        self._versions: dict[tuple[str, int], Instrument] = {}

    async def choices(self) -> list[Instrument]:
        """The newest version of each instrument, the most recently imported first."""
        stored = [instrument_from(s.definition) for s in await self._repository.newest_versions()]
        return stored or [shipped_instrument()]

    async def get(self, instrument_id: str, version: int) -> Instrument | None:
        key = (instrument_id, version)
        if key not in self._versions:
            stored = await self._repository.get(instrument_id, version)
            if stored is None:
                return None
            self._versions[key] = instrument_from(stored.definition)
        return self._versions[key]

    async def ensure_stored(self, instrument: Instrument, actor: str) -> None:
        """Before a round uses it: the shipped instrument is stored on its first use."""
        if await self._repository.get(instrument.id, instrument.version) is None:
            await self._repository.store_if_missing(instrument.id, instrument.version, instrument.definition,
                                                    actor=actor)

    async def import_file(self, text: str, filename: str) -> tuple[Instrument, str]:
        """(the instrument, "created" | "updated" | "unchanged"); FileInvalid for a file refused
        whole, also when it changes a version a round has already used."""
        instrument = parse_instrument_file(text, filename)
        try:
            outcome = await self._repository.store(instrument.id, instrument.version, instrument.definition)
        except InstrumentInUse as in_use:
            line = load_located(text, filename).line_of(["instrument", "version"])
            rounds = ", ".join(str(round_id) for round_id in in_use.round_ids)
            raise FileInvalid(filename, [FileError(line, "instrument.version", (
                f"version {instrument.version} of {instrument.id!r} is used by round {rounds} and differs from "
                "this file: import the changed instrument under a new version"))]) from None
        self._versions.pop((instrument.id, instrument.version), None)
        return instrument, outcome

    async def export(self, instrument_id: str | None = None, version: int | None = None) -> str | None:
        """The file of that instrument (by default the newest one a round would use), or None
        when there is no such instrument."""
        if instrument_id is None:
            instrument = (await self.choices())[0]
            if version is not None and version != instrument.version:
                stored = await self._repository.get(instrument.id, version)
                instrument = instrument_from(stored.definition) if stored else None
        else:
            stored = await self._repository.get(instrument_id, version)
            instrument = instrument_from(stored.definition) if stored else None
            if instrument is None and version in (None, shipped_instrument().version) \
                    and instrument_id == shipped_instrument().id:
                instrument = shipped_instrument()
        return render_instrument_file(instrument) if instrument else None
