"""API keys bound to scopes: a key for alice can never read or write bob's memories.

Keys come from a JSON or TOML file (`graphmem serve --api-keys FILE`, env
GRAPHMEM_API_KEYS_FILE) or from env GRAPHMEM_API_KEYS holding the same JSON inline:

    {"keys": {"sk-alice": {"user_id": "alice"},
              "sk-support-bot": {"agent_id": "support"},
              "sk-admin": "*"}}

A key's scope pins the ids it names: a request may repeat them or leave them out (they are
filled in), never name other values. Ids the key leaves open are the caller's choice. "*"
grants every scope and is meant for operators.
"""

from __future__ import annotations

import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from graphmem.errors import ConfigError, GraphMemError
from graphmem.models import Scope

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, as a package (pydantic-settings')
    import tomli as tomllib  # type: ignore[no-redef]

ENV_KEYS = "GRAPHMEM_API_KEYS"
ANY_SCOPE = "*"
MIN_KEY_CHARS = 16
SCOPE_IDS = ("user_id", "agent_id", "run_id")


class ScopeDenied(GraphMemError):
    """The request names a scope its API key does not grant."""


@dataclass(frozen=True)
class Grant:
    """What one key may touch: the scope ids it pins (None: any scope)."""

    name: str
    scope: Scope | None

    def confine(
        self, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
    ) -> dict[str, str | None]:
        """The scope ids a request may use: the key's pinned ids win; a request naming
        different ones is refused (ScopeDenied)."""
        asked = {"user_id": user_id, "agent_id": agent_id, "run_id": run_id}
        if self.scope is None:
            return asked
        pinned = self.scope.params()
        for name in SCOPE_IDS:
            if pinned[name] is not None and asked[name] not in (None, pinned[name]):
                raise ScopeDenied(
                    f"{name}={asked[name]!r} is outside the scope granted to this caller"
                )
        return {n: pinned[n] if pinned[n] is not None else asked[n] for n in SCOPE_IDS}


class KeyRing:
    """The configured API keys; lookups compare in constant time."""

    def __init__(self, grants: Mapping[str, Grant]) -> None:
        if not grants:
            raise ConfigError("the API key list is empty")
        self._grants = dict(grants)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> KeyRing:
        """{"keys": {key: {"user_id": ...} | "*"}} (the "keys" wrapper is optional)."""
        entries = data.get("keys", data) if isinstance(data, Mapping) else None
        if not isinstance(entries, Mapping):
            raise ConfigError('API keys must be an object: {"keys": {"<key>": {"user_id": ...}}}')
        grants = {}
        for index, (key, spec) in enumerate(entries.items()):
            if not isinstance(key, str) or len(key) < MIN_KEY_CHARS:
                raise ConfigError(f"API key #{index + 1} is shorter than {MIN_KEY_CHARS} chars")
            grants[key] = Grant(name=f"key#{index + 1}", scope=_scope_of(spec, index))
        return cls(grants)

    @classmethod
    def from_file(cls, path: Path) -> KeyRing:
        text = path.read_text(encoding="utf-8")
        try:
            data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
        except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read API keys from {path}: {exc}") from None
        return cls.from_mapping(data)

    @classmethod
    def configured(cls, path: Path | None = None) -> KeyRing:
        """Keys from `path`, else from env GRAPHMEM_API_KEYS; ConfigError when neither."""
        if path is not None:
            return cls.from_file(path)
        raw = os.environ.get(ENV_KEYS)
        if not raw:
            raise ConfigError(
                "no API keys configured: pass --api-keys FILE or set GRAPHMEM_API_KEYS to "
                '\'{"keys": {"<key>": {"user_id": "alice"}}}\' (or --insecure-no-auth for a '
                "local trial)"
            )
        try:
            return cls.from_mapping(json.loads(raw))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"GRAPHMEM_API_KEYS is not JSON: {exc}") from None

    def lookup(self, presented: str | None) -> Grant | None:
        """The grant of a presented key, or None. Every key is compared, so timing does not
        tell how much of a guess was right."""
        if not presented:
            return None
        found = None
        for key, grant in self._grants.items():
            if hmac.compare_digest(key.encode(), presented.encode()):
                found = grant
        return found


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The API key a request presents: `Authorization: Bearer <key>`, else `X-API-Key`.
    Header names in lower case."""
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return headers.get("x-api-key") or None


def _scope_of(spec: Any, index: int) -> Scope | None:
    if spec == ANY_SCOPE:
        return None
    if not isinstance(spec, Mapping) or set(spec) - set(SCOPE_IDS):
        raise ConfigError(
            f'API key #{index + 1}: the scope must be "*" or an object with user_id, '
            "agent_id and/or run_id"
        )
    try:
        return Scope(**spec)
    except ValidationError as exc:
        raise ConfigError(f"API key #{index + 1}: {exc.errors()[0]['msg']}") from None
