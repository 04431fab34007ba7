"""The Teams app package: manifest.json (schema 1.29), fi.json, sv.json and the two icons, zipped.

The files live in `manifest/`: `manifest.template.json` holds `{{PLACEHOLDERS}}` that are
filled in here; the localization files and icons are copied as they are. Plain Python (json,
zipfile): no botbuilder, so `python app.py package` starts without the bot stack.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import zipfile
from pathlib import Path

MANIFEST_DIR = Path(__file__).resolve().parent.parent / "manifest"
TEMPLATE = "manifest.template.json"
LOCALIZATIONS = ("fi.json", "sv.json")
ICONS = ("color.png", "outline.png")
DEFAULT_WEBSITE = "https://example.invalid"

_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
# The manifest schema's own semver pattern (definitions.semver): three numbers, nothing else.
_VERSION = re.compile(r"^([0-9]|[1-9]+[0-9]*)\.([0-9]|[1-9]+[0-9]*)\.([0-9]|[1-9]+[0-9]*)$")
_HOST = re.compile(r"^(?:\*\.)?(?=.{1,253}(?::|$))[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(?::[0-9]{1,5})?$")
_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")
# A fixed timestamp makes the zip byte-for-byte the same for the same inputs.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class PackageError(ValueError):
    """A bad argument (app id, host, version, website); the message says which and why."""


def _guid(value: str | None, what: str) -> str:
    value = (value or "").strip()
    if not _GUID.match(value):
        raise PackageError(
            f"{what} must be a GUID such as 12345678-abcd-4ef0-9abc-1234567890ab (the Application (client) ID "
            f"of the Entra ID app registration), not {value!r}"
        )
    return value.lower()


def _host(value: str) -> str:
    host = value.strip()
    host = re.sub(r"^https?://", "", host, flags=re.IGNORECASE).split("/", 1)[0]
    if not _HOST.match(host):
        raise PackageError(f"host must be a host name such as digimentor.example.fi, not {value!r}")
    return host.lower()


def _website(value: str) -> str:
    website = value.strip().rstrip("/")
    if not re.match(r"^https://[^\s/]+(?:/\S*)?$", website):
        raise PackageError(f"website must be an https:// address, not {value!r}")
    return website


def render_manifest(app_id: str, *, host: str | None = None, version: str = "1.0.0",
                    graph_client_id: str | None = None, website: str = DEFAULT_WEBSITE,
                    manifest_dir: Path = MANIFEST_DIR) -> dict:
    """manifest.json as a dict: the template with the ids, version, host and website filled in."""
    if not _VERSION.match(version or ""):
        raise PackageError(f"version must be three numbers such as 1.0.0, not {version!r}")
    values = {
        "APP_ID": _guid(app_id, "the app id"),
        "VERSION": version,
        "WEBSITE": _website(website),
        "HOST": _host(host) if host else "",
        "GRAPH_CLIENT_ID": _guid(graph_client_id, "the Graph client id") if graph_client_id else "",
    }
    manifest = _fill(json.loads((manifest_dir / TEMPLATE).read_text(encoding="utf-8")), values)
    if not host:
        manifest["validDomains"] = []
    if not graph_client_id:
        manifest.pop("webApplicationInfo", None)
    return manifest


def _fill(node: object, values: dict[str, str]) -> object:
    if isinstance(node, dict):
        return {key: _fill(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [_fill(item, values) for item in node]
    if isinstance(node, str):
        def replace(match: re.Match) -> str:
            if match.group(1) not in values:
                raise KeyError(f"{TEMPLATE}: unknown placeholder {match.group(0)}")
            return values[match.group(1)]

        return _PLACEHOLDER.sub(replace, node)
    return node


def build_package(app_id: str, out: Path, *, host: str | None = None, version: str = "1.0.0",
                  graph_client_id: str | None = None, website: str = DEFAULT_WEBSITE) -> Path:
    """Writes the app package zip to `out` and returns its path. Raises PackageError for a bad
    argument (nothing is written then)."""
    manifest = render_manifest(app_id, host=host, version=version, graph_client_id=graph_client_id,
                               website=website)
    members: list[tuple[str, bytes]] = [("manifest.json", _json_bytes(manifest))]
    for name in LOCALIZATIONS:
        members.append((name, _json_bytes(json.loads((MANIFEST_DIR / name).read_text(encoding="utf-8")))))
    for name in ICONS:
        members.append((name, (MANIFEST_DIR / name).read_bytes()))

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed, so a failed run leaves no half-written zip.
    handle, temporary = tempfile.mkstemp(prefix=".teams-app-", suffix=".zip", dir=out.parent)
    try:
        with os.fdopen(handle, "wb") as stream, zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members:
                info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, data)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a package is nothing secret
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return out


def _json_bytes(document: object) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
