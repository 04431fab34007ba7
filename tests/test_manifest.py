"""The Teams app package: `python app.py package` and bot/teams_package.py.

The manifest is validated against Microsoft's schema v1.29 and the localization files against
its localization schema (both vendored in tests/data/schemas/teams, MIT licence: see its README.md).
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import jsonschema
import pytest

from bot.teams_package import DEFAULT_WEBSITE, MANIFEST_DIR, PackageError, build_package, render_manifest
from dialogs.commands import COMMANDS, parse_command

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = Path(__file__).resolve().parent / "data" / "schemas" / "teams"
MANIFEST_SCHEMA = SCHEMAS / "MicrosoftTeams.v1.29.schema.json"
LOCALIZATION_SCHEMA = SCHEMAS / "MicrosoftTeams.Localization.v1.29.schema.json"

APP_ID = "5f0c2a9e-3b7d-4c1e-9a8f-2d6b1e4c7a90"
GRAPH_ID = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9"
HOST = "digimentor.example.fi"
FILES = {"manifest.json", "fi.json", "sv.json", "color.png", "outline.png"}
SCOPES = ("personal", "team", "groupChat")
COMMAND_LIMIT = 10  # docs/design.md: a bot command menu holds at most 10 commands per scope


# -- helpers ----------------------------------------------------------------------------------


def unzip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def load_schema(path: Path) -> dict:
    if not path.is_file():
        pytest.fail(f"{path} is missing: the Teams schemas are vendored in tests/data/schemas/teams", pytrace=False)
    return json.loads(path.read_text(encoding="utf-8"))


def schema_errors(document: dict, schema: dict) -> list[str]:
    """Errors under the schema's own draft (04), and under draft 7 as well: the schema uses
    `const`, `if` and `then`, which a draft-04 validator skips. Draft 7 reads every other
    keyword of these schemas the same way."""
    errors = []
    for validator_class in {jsonschema.validators.validator_for(schema), jsonschema.Draft7Validator}:
        # Not checking the schema's regexes: one uses \p{L}, which JavaScript knows and Python's re does not.
        validator_class.check_schema(schema, format_checker=None)
        validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
        errors += [f"{validator_class.__name__}: /{'/'.join(map(str, error.absolute_path))}: {error.message[:300]}"
                   for error in validator.iter_errors(document)]
    return errors


def read_png(data: bytes) -> tuple[int, int, int, list[list[tuple[int, ...]]]]:
    """(width, height, colour type, rows of pixels) of an 8-bit, non-interlaced RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, chunks = 8, []
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        kind, body = data[position + 4:position + 8], data[position + 8:position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length:position + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, f"bad CRC in {kind!r}"
        chunks.append((kind, body))
        position += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, "only 8-bit RGB(A), not interlaced"
    channels = 4 if colour_type == 6 else 3
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append([tuple(line[x:x + channels]) for x in range(0, stride, channels)])
        previous = line
    return width, height, colour_type, rows


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> dict[str, bytes]:
    path = build_package(APP_ID, tmp_path_factory.mktemp("package") / "digimentor.zip", host=HOST,
                         graph_client_id=GRAPH_ID)
    return unzip(path)


@pytest.fixture(scope="module")
def manifest(package) -> dict:
    return json.loads(package["manifest.json"])


@pytest.fixture(scope="module")
def localizations(package) -> dict[str, dict]:
    return {name: json.loads(package[name]) for name in ("fi.json", "sv.json")}


# -- the zip and the schemas ------------------------------------------------------------------


def test_the_zip_holds_the_five_files_at_its_root(package):
    assert set(package) == FILES


def test_the_manifest_matches_the_teams_schema(manifest):
    assert schema_errors(manifest, load_schema(MANIFEST_SCHEMA)) == []


@pytest.mark.parametrize("options", [{}, {"host": HOST}, {"graph_client_id": GRAPH_ID}, {"version": "2.13.0"}],
                         ids=["bare", "host", "graph", "version"])
def test_every_variant_of_the_manifest_matches_the_schema(options):
    rendered = render_manifest(APP_ID, **options)
    assert schema_errors(rendered, load_schema(MANIFEST_SCHEMA)) == []
    assert ("webApplicationInfo" in rendered) == ("graph_client_id" in options)
    assert rendered["validDomains"] == ([HOST] if "host" in options else [])
    assert rendered["version"] == options.get("version", "1.0.0")


@pytest.mark.parametrize("name", ["fi.json", "sv.json"])
def test_the_localization_files_match_their_schema(localizations, name):
    document = localizations[name]
    assert schema_errors(document, load_schema(LOCALIZATION_SCHEMA)) == []
    # The schema puts these limits beside a $ref, where draft 04 and 07 ignore them.
    assert len(document["name.short"]) <= 30
    assert len(document["name.full"]) <= 100
    assert len(document["description.short"]) <= 80
    assert len(document["description.full"]) <= 4000


def test_the_manifest_is_version_1_29_with_english_default_and_finnish_and_swedish(manifest):
    assert manifest["$schema"] == "https://developer.microsoft.com/en-us/json-schemas/teams/v1.29/MicrosoftTeams.schema.json"
    assert manifest["manifestVersion"] == "1.29"
    assert manifest["localizationInfo"] == {
        "defaultLanguageTag": "en",
        "additionalLanguages": [{"languageTag": "fi", "file": "fi.json"}, {"languageTag": "sv", "file": "sv.json"}],
    }
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    for name in ("fi.json", "sv.json"):
        assert (json.loads((MANIFEST_DIR / name).read_text(encoding="utf-8"))["$schema"]
                == "https://developer.microsoft.com/en-us/json-schemas/teams/v1.29/MicrosoftTeams.Localization.schema.json")


def test_the_ids_host_and_urls_are_filled_in(manifest, package):
    assert manifest["id"] == APP_ID
    assert manifest["bots"][0]["botId"] == APP_ID
    assert manifest["webApplicationInfo"] == {"id": GRAPH_ID}
    assert manifest["validDomains"] == [HOST]
    developer = manifest["developer"]
    assert developer["name"] == "Digimentor project"
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        assert developer[key].startswith(DEFAULT_WEBSITE)
    assert "{{" not in package["manifest.json"].decode()


def test_the_bot_is_a_conversational_bot_in_three_scopes_without_files(manifest):
    (bot,) = manifest["bots"]
    assert bot["scopes"] == list(SCOPES)
    assert bot["supportsFiles"] is False
    assert bot["isNotificationOnly"] is False


# -- commands ---------------------------------------------------------------------------------


def test_every_scope_has_a_command_list_of_at_most_ten_known_commands(manifest):
    lists = manifest["bots"][0]["commandLists"]
    for scope in SCOPES:
        (commands,) = [entry["commands"] for entry in lists if scope in entry["scopes"]]
        titles = [command["title"] for command in commands]
        assert len(titles) <= COMMAND_LIMIT, scope
        assert len(set(titles)) == len(titles), scope
        assert {"help", "mentor"} <= set(titles), scope
        for command in commands:
            assert command["title"] in COMMANDS, f"{scope}: {command['title']!r} is not a chat command"
            assert parse_command(command["title"]).name == command["title"]
            assert command["description"]


# The personal list is full: the coordinator commands that came after it are in the help card
# (and, where there was room, in the team and group-chat lists), not in this menu; a survey,
# a few times a year, is typed.
# `book` is in the team and group-chat menus (a team books together) and on the help card; the
# agreements' and open helpers' commands are typed from the help card ("I can help with excel"
# needs its topics anyway), and `log agreement` is `log 45 #12`, never typed as a title.
NOT_IN_THE_PERSONAL_MENU = {"export", "mentors", "coverage", "announce", "impact", "survey", "book", "agreement",
                            "my agreements", "log agreement", "help with", "stop helping"}


def test_the_personal_list_leaves_out_only_the_rarest_coordinator_commands(manifest):
    (personal,) = [entry for entry in manifest["bots"][0]["commandLists"] if entry["scopes"] == ["personal"]]
    assert len(personal["commands"]) == COMMAND_LIMIT
    assert set(COMMANDS) - {command["title"] for command in personal["commands"]} == NOT_IN_THE_PERSONAL_MENU


@pytest.mark.parametrize("name", ["fi.json", "sv.json"])
def test_each_localized_command_title_is_an_alias_of_the_same_command(manifest, localizations, name):
    """Teams puts the localized title into the message, so the bot must read it as that command."""
    document = localizations[name]
    expected = set()
    for i, entry in enumerate(manifest["bots"][0]["commandLists"]):
        for j, command in enumerate(entry["commands"]):
            prefix = f"bots[0].commandLists[{i}].commands[{j}]"
            expected |= {f"{prefix}.title", f"{prefix}.description"}
            title = document[f"{prefix}.title"]
            assert title.casefold() in COMMANDS[command["title"]][1], f"{name}: {title!r} for {command['title']!r}"
            parsed = parse_command(title)
            assert parsed is not None and parsed.name == command["title"], f"{name}: {title!r}"
            assert document[f"{prefix}.description"] != command["description"], f"{name}: {prefix} not translated"
    # Every command is translated, and no key points at a command the manifest does not have.
    assert {key for key in document if key.startswith("bots[")} == expected


# -- icons ------------------------------------------------------------------------------------


def test_the_icons_have_the_sizes_teams_asks_for(package):
    assert read_png(package["color.png"])[:2] == (192, 192)
    assert read_png(package["outline.png"])[:2] == (32, 32)


def test_the_outline_icon_is_white_on_transparent(package):
    width, height, colour_type, rows = read_png(package["outline.png"])
    assert colour_type == 6, "the outline icon needs an alpha channel"
    pixels = [pixel for row in rows for pixel in row]
    assert all(pixel[:3] == (255, 255, 255) or pixel[3] == 0 for pixel in pixels)
    assert any(pixel[3] == 0 for pixel in pixels) and any(pixel[3] == 255 for pixel in pixels)
    assert rows[0][0][3] == 0, "the corners are transparent"


def test_the_colour_icon_is_opaque_and_uses_the_accent_colour(package, manifest):
    _, _, _, rows = read_png(package["color.png"])
    accent = tuple(int(manifest["accentColor"][i:i + 2], 16) for i in (1, 3, 5))
    assert rows[0][0][:3] == accent
    assert all(len(pixel) == 3 or pixel[3] == 255 for row in rows for pixel in row)


def test_the_committed_icons_are_what_the_script_draws():
    result = subprocess.run([sys.executable, "scripts/make_icons.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


# -- arguments --------------------------------------------------------------------------------


@pytest.mark.parametrize("app_id", ["", "not-a-guid", "5f0c2a9e3b7d4c1e9a8f2d6b1e4c7a90",
                                    "5f0c2a9e-3b7d-4c1e-9a8f-2d6b1e4c7a9", "{5f0c2a9e-3b7d-4c1e-9a8f-2d6b1e4c7a90}"])
def test_a_bad_app_id_is_refused_and_nothing_is_written(tmp_path, app_id):
    out = tmp_path / "app.zip"
    with pytest.raises(PackageError, match="app id must be a GUID"):
        build_package(app_id, out)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("options, message", [
    ({"graph_client_id": "graph"}, "Graph client id must be a GUID"),
    ({"host": "not a host"}, "host must be a host name"),
    ({"version": "1.0"}, "version must be three numbers"),
    ({"website": "http://example.fi"}, "website must be an https"),
])
def test_other_bad_arguments_are_refused(tmp_path, options, message):
    with pytest.raises(PackageError, match=message):
        build_package(APP_ID, tmp_path / "app.zip", **options)
    assert list(tmp_path.iterdir()) == []


def test_the_host_may_be_given_as_an_address(tmp_path):
    manifest = json.loads(unzip(build_package(APP_ID, tmp_path / "a.zip", host="https://Bot.Example.fi/api/messages"))
                          ["manifest.json"])
    assert manifest["validDomains"] == ["bot.example.fi"]


def test_the_same_inputs_give_the_same_zip(tmp_path):
    first = build_package(APP_ID, tmp_path / "a.zip", host=HOST).read_bytes()
    second = build_package(APP_ID, tmp_path / "b.zip", host=HOST).read_bytes()
    assert first == second


# -- the command line -------------------------------------------------------------------------


def run_package(*args: str) -> subprocess.CompletedProcess:
    # No DATABASE_URL or Bot Framework settings: packaging needs neither.
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("DATABASE_URL", "MicrosoftAppId", "MicrosoftAppPassword")}
    return subprocess.run([sys.executable, "app.py", "package", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_app_py_package_writes_a_valid_package(tmp_path):
    out = tmp_path / "out" / "digimentor.zip"
    result = run_package("--app-id", APP_ID, "--out", str(out), "--host", HOST, "--graph-client-id", GRAPH_ID)
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout
    files = unzip(out)
    assert set(files) == FILES
    manifest = json.loads(files["manifest.json"])
    assert schema_errors(manifest, load_schema(MANIFEST_SCHEMA)) == []
    assert manifest["bots"][0]["botId"] == APP_ID
    assert manifest["webApplicationInfo"]["id"] == GRAPH_ID


def test_app_py_package_refuses_a_bad_app_id_with_exit_code_2(tmp_path):
    out = tmp_path / "digimentor.zip"
    result = run_package("--app-id", "my-bot", "--out", str(out))
    assert result.returncode == 2
    assert "app id must be a GUID" in result.stderr and "'my-bot'" in result.stderr
    assert not out.exists()
