"""The pydantic types that cross graphmem's public API and its layers."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_MESSAGE_CHARS = 32_000
MAX_MESSAGES = 200
MAX_SCOPE_ID_CHARS = 256
Role = Literal["system", "user", "assistant", "tool"]
FactStatus = Literal["active", "superseded", "deleted"]
# The key of a scope's own entity (the user: "I", "me", the speaker), whatever it is called.
SELF_KEY = "__self__"
# What models and people write for the speaker; each names the scope's one self entity.
SELF_ALIASES = frozenset(
    {"user", "the user", "i", "me", "my", "myself", "speaker", "the speaker", "self", SELF_KEY}
)


def utf8_text(value: str) -> str:
    """Refuse strings that cannot be encoded as UTF-8 (lone surrogates from bad decoding):
    Neo4j's driver would fail on them half-way through a transaction."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text is not valid UTF-8 (it holds a lone surrogate)") from None
    return value


# The largest UTC offset Neo4j stores (java.time.ZoneOffset).
MAX_UTC_OFFSET = timedelta(hours=18)


def representable_time(value: datetime) -> datetime:
    """Refuse a time Neo4j cannot hold: one that leaves years 1-9999 once in UTC
    (9999-12-31T23:59-14:00 does; the driver sends times in UTC, and neither Python nor
    Neo4j holds a year past 9999), or one whose UTC offset is past 18 hours (Python allows
    up to 24; Neo4j refuses the value, and the whole transaction with it)."""
    if value.tzinfo is not None:
        offset = value.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise ValueError("the UTC offset must be within 18 hours of UTC")
        try:
            value.astimezone(timezone.utc)
        except OverflowError:
            raise ValueError("the time is outside years 1-9999 once in UTC") from None
    return value


Text = Annotated[str, AfterValidator(utf8_text)]
When = Annotated[datetime, AfterValidator(representable_time)]
# Scope ids are strings, never coerced: an integer id 0 is refused, not turned into "0".
ScopeId = Annotated[str, Field(strict=True), AfterValidator(utf8_text)]
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Attachment(Strict):
    """What a message keeps of an image it carried (graphmem/images.py): a reference (the
    URL, or "sha256:<digest>" of a data URI's bytes) and the description remembered."""

    type: Literal["image"] = "image"
    ref: Text = Field(min_length=1, max_length=4096)
    description: Text = Field(default="", max_length=4000)


class Message(Strict):
    """One turn of a conversation."""

    role: Role
    content: Text = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    name: Text | None = Field(default=None, max_length=200)
    # When the message was written: relative dates in it resolve against this, and facts
    # from it are valid from then unless they say otherwise.
    timestamp: When | None = None
    attachments: list[Attachment] = Field(default_factory=list, max_length=8)

    @field_validator("content")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("message content is blank")
        return value


class Scope(Strict):
    """Who a memory belongs to: any combination of user, agent and run (at least one)."""

    user_id: ScopeId | None = Field(default=None, min_length=1, max_length=MAX_SCOPE_ID_CHARS)
    agent_id: ScopeId | None = Field(default=None, min_length=1, max_length=MAX_SCOPE_ID_CHARS)
    run_id: ScopeId | None = Field(default=None, min_length=1, max_length=MAX_SCOPE_ID_CHARS)

    @field_validator("user_id", "agent_id", "run_id")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        # Control characters are refused: the scope key joins ids with \x1f, and an id
        # holding one would share a key (and so entities and reads) with another tenant.
        if value is not None and _CONTROL.search(value):
            raise ValueError("scope ids must not contain control characters")
        return value

    @model_validator(mode="after")
    def _at_least_one(self) -> Scope:
        if self.user_id is None and self.agent_id is None and self.run_id is None:
            raise ValueError("a scope needs at least one of user_id, agent_id, run_id")
        return self

    @property
    def key(self) -> str:
        """A canonical string naming exactly this scope; entities are unique per (key, name)."""
        parts = (self.user_id or "", self.agent_id or "", self.run_id or "")
        return "\x1f".join(p.replace("\x1f", " ") for p in parts)

    def params(self) -> dict[str, str | None]:
        """The scope as query parameters; a None id matches any value of that id."""
        return {"user_id": self.user_id, "agent_id": self.agent_id, "run_id": self.run_id}

    @property
    def first_id(self) -> str:
        """Its user_id, else agent_id, else run_id: what its self entity is called when no
        message names the user."""
        return self.user_id or self.agent_id or self.run_id or ""


@lru_cache(maxsize=8192)
def entity_key(name: str) -> str:
    """The normalised name two mentions of one entity share ("  Dr. Alice " -> "dr. alice").

    Cached: a bulk add normalises the same few names dozens of times per fact."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return re.sub(r"\s+", " ", folded).strip()


def self_key_of(name: str, aliases: frozenset[str] = frozenset()) -> str:
    """The key a name denotes: SELF_KEY for the speaker's words ("I", "me", "User") and for
    the scope's own aliases (its user_id, the user's name), else the name's entity_key."""
    key = entity_key(name)
    return SELF_KEY if key in SELF_ALIASES or key in aliases else key


def key_in_scope(name: str, scope: Scope) -> str:
    """The key a name denotes in a scope: its user_id, too, names the scope's self entity
    (the self's stored aliases, like the user's name, are matched by the reads)."""
    own = frozenset({entity_key(scope.user_id)}) if scope.user_id else frozenset()
    return self_key_of(name, own)


class EntityRef(Strict):
    """An entity a fact mentions; the type becomes a label (sanitised)."""

    name: Text = Field(min_length=1, max_length=200)
    type: Text = Field(default="Thing", max_length=200)

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not entity_key(value):
            raise ValueError("entity name is blank")
        return value.strip()


class Triple(Strict):
    """source -[relation]-> target, as pre-extracted; names refer to EntityRefs."""

    source: Text = Field(min_length=1, max_length=200)
    relation: Text = Field(min_length=1, max_length=200)
    target: Text = Field(min_length=1, max_length=200)


class FactInput(Strict):
    """A fact handed to add_facts(): text plus optional entities, relations, validity, metadata."""

    text: Text = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    entities: list[EntityRef] = Field(default_factory=list)
    relations: list[Triple] = Field(default_factory=list)
    valid_from: When | None = None
    valid_to: When | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("entities", mode="before")
    @classmethod
    def _names_as_refs(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value


class MemoryItem(BaseModel):
    """A stored fact as returned by get(), get_all() and search()."""

    id: str
    memory: str
    hash: str | None = None  # the content hash (SHA-256 of the normalised text; mem0's: MD5)
    score: float | None = None
    scores: dict[str, float] = Field(default_factory=dict)
    status: FactStatus = "active"
    user_id: Text | None = None
    agent_id: Text | None = None
    run_id: Text | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    entities: list[str] = Field(default_factory=list)
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # References of the images the fact was extracted with (graphmem/images.py).
    attachments: list[str] = Field(default_factory=list)


class AddEvent(BaseModel):
    """One outcome of add(): mem0's shape."""

    id: str
    memory: str
    event: Literal["ADD", "UPDATE", "DELETE", "NONE"]
    previous_memory: str | None = None


class Usage(BaseModel):
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    embeddings: int = 0
