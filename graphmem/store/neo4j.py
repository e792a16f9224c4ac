"""The Neo4j adapter: every read and write graphmem makes, through the named Cypher files."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

import neo4j
from neo4j import Driver, GraphDatabase, ManagedTransaction
from neo4j.exceptions import AuthError, DriverError, Neo4jError, ServiceUnavailable

from graphmem.config import Settings
from graphmem.errors import StoreError
from graphmem.models import Message, Scope
from graphmem.store.cypher import query
from graphmem.store.schema import ensure_schema, read_space
from graphmem.store.vectors import SLOT_A, EmbeddingSpace, VectorSlot, f16_bytes
from graphmem.urls import masked_url, masked_urls_in

T = TypeVar("T")
# The access mode a unit of work runs in: a cluster routes READ to secondaries, WRITE to
# the leader. Every read and write the store makes goes through GraphStore.read,
# read_snapshot or write, each in one of these.
Access = Literal["READ", "WRITE"]
# A scope with at most this many facts (entities) is searched by an exact scan, which costs
# less than an index call plus its over-fetch; larger scopes use the vector index with an
# over-fetch of OVERFETCH_FACTOR * k (at least MIN_FETCH_K, at most MAX_FETCH_K), and the
# scan when the over-fetch comes back short. Shared by recall and resolution.
# How long the database's relationship types and labels are reused (GraphStore.tokens).
TOKENS_TTL_S = 30.0
# How long the recorded embedding space is reused before it is read again (GraphStore.space):
# a re-embedding job waits at least this long after its switch before it drops the old slot.
SPACE_TTL_S = 30.0
EXACT_SCAN_MAX_FACTS = 2000
OVERFETCH_FACTOR = 20
MIN_FETCH_K = 200
MAX_FETCH_K = 10_000

# The SEARCH clause (Cypher 25) reads vector indexes from Neo4j 2026.01 and filters inside the
# index on properties the index was created WITH; IN-list filters arrived in 2026.06. graphmem
# filters on lists (a partial scope is several scope keys, a window several statuses), so it
# uses SEARCH from 2026.06 and keeps db.index.vector.queryNodes below that (5.26, 2025.x,
# 2026.01-05), where the index filters after its top-k and reads over-fetch instead.
SEARCH_MIN_VERSION = (2026, 6)
# The filter properties the SEARCH reads need (cypher/schema_search.cypher creates them).
FACT_INDEX = "graphmem_fact_embedding"
ENTITY_INDEX = "graphmem_entity_embedding"
FACT_SEARCH_FILTERS = frozenset({"scope_key", "status"})
ENTITY_SEARCH_FILTERS = frozenset({"scope_key"})
_CALENDAR_VERSION = re.compile(r"^(\d{4})\.(\d{1,2})")


@dataclass(frozen=True)
class StatementTiming:
    """One statement as run: its text, rows, the server's time and the client's."""

    statement: str
    rows: int
    server_ms: float  # the summary's result_available_after + result_consumed_after
    client_ms: float  # from sending it to the last record decoded, server time included


# Set only while traced_statements() runs (bench/profile_search.py): every read then records
# its StatementTiming; otherwise a read pays one ContextVar lookup.
_TRACE: ContextVar[list[StatementTiming] | None] = ContextVar("graphmem_trace", default=None)


@contextmanager
def traced_statements() -> Iterator[list[StatementTiming]]:
    """Collect a StatementTiming for every read run in this context (a profile's source)."""
    timings: list[StatementTiming] = []
    token = _TRACE.set(timings)
    try:
        yield timings
    finally:
        _TRACE.reset(token)


def _server_ms(summary: neo4j.ResultSummary) -> float:
    return float((summary.result_available_after or 0) + (summary.result_consumed_after or 0))


@dataclass(frozen=True)
class VectorSearch:
    """Which vector indexes nearest-neighbour reads query with SEARCH and in-index scope
    filters (True), rather than db.index.vector.queryNodes plus over-fetch (False)."""

    facts: bool = False
    entities: bool = False


def search_supported(server_version: str) -> bool:
    """True for a server whose SEARCH clause takes IN-list filters (2026.06 and later)."""
    match = _CALENDAR_VERSION.match(server_version)
    return match is not None and (int(match[1]), int(match[2])) >= SEARCH_MIN_VERSION


@dataclass
class FactRow:
    id: str
    props: dict[str, Any]
    embedding: list[float]


@dataclass
class EntityRow:
    id: str
    key: str
    name: str
    type: str
    # None keeps the stored vector (a bulk load sends each entity's vector once).
    embedding: list[float] | None
    # Other keys the entity is known by (the self's user_id and name); merged into the stored.
    aliases: list[str] = field(default_factory=list)


@dataclass
class RelationRow:
    source_key: str
    type: str
    target_key: str
    fact_id: str
    valid_from: Any = None
    valid_to: Any = None
    # Set for a relation stored as history (type identifiers.HISTORY_RELATION): its own type.
    relation: str | None = None


Op = str  # "ADD" | "UPDATE" | "SUPERSEDE" | "DELETE"


@dataclass
class Change:
    """One entry of the append-only change log (store/changes.py writes and reads it)."""

    id: str
    seq: int
    target_id: str
    op: Op
    old: str | None
    new: str | None
    actor: str
    reason: str | None = None
    episode_id: str | None = None


@dataclass
class WriteBatch:
    """Everything one add() writes, applied in one transaction."""

    scope: Scope
    episode_id: str
    facts: list[FactRow] = field(default_factory=list)
    entities: list[EntityRow] = field(default_factory=list)
    about: list[tuple[str, str]] = field(default_factory=list)  # (fact_id, entity key)
    relations: list[RelationRow] = field(default_factory=list)
    # Relation type -> the words its facts describe it with (one entry per occurrence):
    # appended to the scope's RelationWords, which recall matches query words against.
    vocabulary: dict[str, list[str]] = field(default_factory=dict)
    # The add's change-log entries, written by the same statement (a bulk load has none).
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class GraphTokens:
    """Names the database knows: relationship types and node labels."""

    relation_types: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()


class GraphStore:
    """Owns the driver; knows nothing of LLMs or embedders."""

    def __init__(self, driver: Driver, database: str) -> None:
        self._driver = driver
        self.database = database
        self._vector_search: VectorSearch | None = None
        self._tokens: tuple[float, GraphTokens] | None = None
        # Called with "READ" or "WRITE" as each unit of work starts (see Access); None: no one.
        self.on_access: Callable[[Access], None] | None = None
        # The recorded embedding space with when it was read, and the embedder's (model,
        # dimension) it must keep matching (set by bootstrap).
        self._space: tuple[float, EmbeddingSpace | None] | None = None
        self._embedder: tuple[str, int] | None = None

    @classmethod
    def connect(cls, settings: Settings) -> GraphStore:
        password = settings.neo4j_password.get_secret_value() if settings.neo4j_password else ""
        with translate_errors(settings.neo4j_uri):
            driver = GraphDatabase.driver(
                settings.neo4j_uri,
                auth=(settings.neo4j_user, password),
                # Reads of optional properties (valid_to, meta.*) are normal here; the server's
                # "property does not exist" notices would only clutter every caller's stderr.
                notifications_min_severity="OFF",
            )
        store = cls(driver, settings.neo4j_database)
        with translate_errors(settings.neo4j_uri):
            driver.verify_connectivity()
        return store

    def close(self) -> None:
        self._driver.close()

    @property
    def driver(self) -> Driver:
        return self._driver

    def bootstrap(self, dimension: int, model: str | None = None) -> None:
        """Apply the schema, record the embedding space on a database without one, and
        refuse an embedder (model, when given, and dimension) other than the space's."""
        search = search_supported(self.server_version())
        with translate_errors():
            space = ensure_schema(self._driver, self.database, dimension, model, search=search)
        self._embedder = (model, dimension) if model is not None else None
        self._space = (time.monotonic(), space)
        self._vector_search = self._detect_vector_search(search)

    def space(self) -> EmbeddingSpace | None:
        """The embedding space the database records (None on one that records none yet:
        its vectors are in slot A), read again once the last read is SPACE_TTL_S old, so a
        re-embedding job's switch reaches every process. A process whose embedder no longer
        matches gets SchemaMismatchError instead of comparing vectors of two models."""
        now = time.monotonic()
        cached = self._space
        if cached is None or now - cached[0] > SPACE_TTL_S:
            with translate_errors():
                cached = self._space = (now, read_space(self._driver, self.database))
            if cached[1] is not None and self._embedder is not None:
                cached[1].check(*self._embedder)
        return cached[1]

    def slot(self) -> VectorSlot:
        """The vector slot reads and writes use."""
        space = self.space()
        return space.slot if space is not None else SLOT_A

    def switched(self, space: EmbeddingSpace) -> None:
        """This process itself switched the space (a re-embedding job): use it now."""
        self._space = (time.monotonic(), space)
        self._vector_search = None

    def server_version(self) -> str:
        records = self.read(query("admin/server_info"), {})
        # 2025.06+ also lists the Cypher versions as a component; the kernel's is the server's.
        kernel = [r for r in records if r["name"] == "Neo4j Kernel"] or records
        return str(kernel[0]["version"]) if kernel else "unknown"

    def tokens(self) -> GraphTokens:
        """The relationship types and labels of the database, read again once the last
        read is TOKENS_TTL_S old: they change only when a new type or label is first
        written, and recall uses them only as names to match (a scope's own relation types
        come fresh from its RelationWords), so a short delay costs nothing but saves a
        token-store scan per search."""
        now = time.monotonic()
        cached = self._tokens
        if cached is None or now - cached[0] > TOKENS_TTL_S:
            record = self.read(query("admin/tokens"), {})[0]
            tokens = GraphTokens(tuple(record["relation_types"]), tuple(record["labels"]))
            cached = self._tokens = (now, tokens)
        return cached[1]

    def vector_search(self) -> VectorSearch:
        """How nearest reads use the vector indexes; decided once (at bootstrap, else on
        first use) from the server version and the indexes' filter properties.

        An index created before graphmem knew SEARCH (no filter properties) keeps the
        queryNodes path: IF NOT EXISTS leaves it as it is, and rebuilding a large index at
        start-up would stall every reader. `DROP INDEX <name>` and a restart rebuild it."""
        found = self._vector_search
        if found is None:
            found = self._vector_search = self._detect_vector_search(
                search_supported(self.server_version())
            )
        return found

    def _detect_vector_search(self, supported: bool) -> VectorSearch:
        # recall's SEARCH statements name slot A's indexes; slot B is read with queryNodes.
        if not supported or self.slot() is not SLOT_A:
            return VectorSearch()
        properties = {
            r["name"]: set(r["properties"] or ())
            for r in self.read(query("admin/vector_indexes"), {})
            if r["state"] == "ONLINE"
        }
        return VectorSearch(
            facts=properties.get(FACT_INDEX, set()) >= FACT_SEARCH_FILTERS,
            entities=properties.get(ENTITY_INDEX, set()) >= ENTITY_SEARCH_FILTERS,
        )

    # -- writes ---------------------------------------------------------------

    def write_episode(
        self, episode_id: str, scope: Scope, messages: Sequence[Message], *, infer: bool
    ) -> None:
        """Write an episode in a transaction of its own (before an add's LLM call)."""
        row = episode_row(episode_id, scope, messages, infer=infer)
        self.write(lambda tx: write_episodes_in(tx, [row]))

    def set_episode_status(self, episode_id: str, status: str, error: str | None = None) -> None:
        params = {"id": episode_id, "status": status, "error": error}
        self.write(lambda tx: tx.run(query("write/episode_status"), params).consume())

    def write_batch(self, batch: WriteBatch) -> None:
        """Apply a batch in one transaction; the driver retries it on transient errors."""
        self.write(lambda tx: apply_batches(tx, [batch]))

    # -- plumbing -------------------------------------------------------------

    def read(self, statement: str, params: dict[str, Any]) -> list[neo4j.Record]:
        """Run one read statement (auto-retried by the driver), errors translated."""
        self._started("READ")
        start = time.perf_counter()
        with translate_errors():
            records, summary, _ = self._driver.execute_query(
                statement,
                _parameters({**self.slot().params(), **params}),
                database_=self.database,
                routing_=neo4j.RoutingControl.READ,
            )
        trace = _TRACE.get()
        if trace is not None:
            client_ms = (time.perf_counter() - start) * 1000
            trace.append(StatementTiming(statement, len(records), _server_ms(summary), client_ms))
        return records

    def read_snapshot(self, work: Callable[[Reader], T]) -> T:
        """Run `work` with every read in one read transaction, retried as a whole on
        transient errors: one consistent view of the graph, and one BEGIN/COMMIT for
        many statements instead of one per statement (half the round trips)."""
        self._started("READ")
        slot = self.slot().params()
        with translate_errors(), self._session(neo4j.READ_ACCESS) as session:
            return session.execute_read(
                lambda tx: work(TransactionReader(SlotTransaction(tx, slot)))
            )

    def write(self, work: Callable[[ManagedTransaction], T]) -> T:
        """Run `work` in one write transaction, retried by the driver on transient errors."""
        self._started("WRITE")
        slot = self.slot().params()
        with translate_errors(), self._session(neo4j.WRITE_ACCESS) as session:
            return session.execute_write(lambda tx: work(SlotTransaction(tx, slot)))  # type: ignore[arg-type]

    def _session(self, access_mode: str) -> neo4j.Session:
        """A session in `access_mode` (on a cluster, READ goes to a secondary, WRITE to the
        leader) sharing the driver's execute_query bookmark manager: every read, whichever
        way it runs, waits for the writes this store committed before it, so a user reads
        their own writes on any cluster member."""
        return self._driver.session(
            database=self.database,
            default_access_mode=access_mode,
            bookmark_manager=self._driver.execute_query_bookmark_manager,
        )

    def _started(self, access: Access) -> None:
        if self.on_access is not None:
            self.on_access(access)


class Vector(list):  # type: ignore[type-arg]
    """An embedding as a query parameter: a list of floats with a short repr.

    The driver formats every statement's parameters for its debug log (repr of all of them)
    before the logger checks its level. A 384-float list takes ~0.3 ms to repr, so a row
    batch of 100 embeddings cost ~30 ms of client CPU per statement, most of an add's
    Python time. The driver packs this as the list it is.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<vector of {len(self)} floats>"


class Rows(list):  # type: ignore[type-arg]
    """A list parameter (rows, keys, ids) with a short repr, for Vector's reason: the
    driver formats every parameter for its debug log on every statement. An add's rows of
    100 facts (texts, ids, moments, the change log) made ~140,000 characters: ~2 ms of
    client CPU per add for a string no one reads. The driver packs this as the list it is."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<{len(self)} rows>"


def _parameters(params: dict[str, Any]) -> dict[str, Any]:
    """A statement's parameters with each list as Rows (Vectors stay as they are)."""
    return {k: Rows(v) if type(v) is list else v for k, v in params.items()}


class SlotTransaction:
    """A transaction whose every statement also receives the store's vector slot as
    parameters ($vector_property, $f16_property, $fact_index, $entity_index; see
    store/vectors.py), so no caller passes them and none can pass the wrong slot's."""

    def __init__(self, tx: ManagedTransaction, slot: dict[str, str]) -> None:
        self._tx = tx
        self._slot = slot

    def run(
        self, statement: str, parameters: dict[str, Any] | None = None, **kwparameters: Any
    ) -> neo4j.Result:
        params = {**self._slot, **(parameters or {}), **kwparameters}
        return self._tx.run(statement, _parameters(params))


class Reader(Protocol):
    """What read-only code needs of the store: run one statement, get its records."""

    def read(self, statement: str, params: dict[str, Any]) -> list[neo4j.Record]: ...


class TransactionReader:
    """A Reader whose statements run inside one open read transaction."""

    def __init__(self, tx: ManagedTransaction | SlotTransaction) -> None:
        self._tx = tx

    def read(self, statement: str, params: dict[str, Any]) -> list[neo4j.Record]:
        trace = _TRACE.get()
        if trace is None:
            return list(self._tx.run(statement, params))
        start = time.perf_counter()
        result = self._tx.run(statement, params)
        records = list(result)
        summary = result.consume()
        client_ms = (time.perf_counter() - start) * 1000
        trace.append(StatementTiming(statement, len(records), _server_ms(summary), client_ms))
        return records


def episode_row(
    episode_id: str, scope: Scope, messages: Sequence[Message], *, infer: bool
) -> dict[str, Any]:
    """An episode as write/episodes takes it: created "pending" when an LLM will extract
    it, "stored" when its facts come as they are."""
    return {
        "id": episode_id,
        "scope_key": scope.key,
        **scope.params(),
        "messages": json.dumps([_message_row(m) for m in messages]),
        "status": "pending" if infer else "stored",
        "infer": infer,
    }


def _message_row(message: Message) -> dict[str, Any]:
    """A message as its episode keeps it (attachments only when it had images)."""
    skip = None if message.attachments else {"attachments"}
    return message.model_dump(mode="json", exclude_none=True, exclude=skip)


def write_episodes_in(tx: ManagedTransaction, rows: Sequence[dict[str, Any]]) -> None:
    """Write episodes (and register their scopes) inside a caller's transaction."""
    if rows:
        tx.run(query("write/episodes"), {"episodes": list(rows)}).consume()


# How many word occurrences a scope's RelationWords keeps per relation type, the latest
# (write/batch appends and trims, vocabulary/replace rebuilds to the same window).
VOCABULARY_WINDOW = 400


def apply_batches(tx: ManagedTransaction, batches: Sequence[WriteBatch]) -> None:
    """Write batches of any scopes in one statement (write/batch), inside a caller's
    transaction (the write path adds its own steps): one round trip."""
    rows = [
        batch_row(b)
        for b in batches
        if b.facts or b.entities or b.about or b.relations or b.changes
    ]
    if rows:
        params = {"batches": rows, "vocabulary_window": VOCABULARY_WINDOW}
        tx.run(query("write/batch"), params).consume()


def batch_row(batch: WriteBatch) -> dict[str, Any]:
    """One batch as write/batch takes it: its scope and episode, then its rows. The rows'
    moments (a fact's valid_from, valid_to, observed_at; a relation's valid_from and
    valid_to) travel once each in `moments`, the rows holding their positions (Moments)."""
    moments = Moments()
    return {
        "scope_key": batch.scope.key,
        **batch.scope.params(),
        "episode_id": batch.episode_id,
        "facts": [_fact_row(f, moments) for f in batch.facts],
        "entities": [{**vars(e), "embedding": _vector(e.embedding)} for e in batch.entities],
        "about": [{"fact_id": f, "key": k} for f, k in batch.about],
        "relations": [
            {
                **vars(r),
                "valid_from": moments.ref(r.valid_from),
                "valid_to": moments.ref(r.valid_to),
            }
            for r in batch.relations
        ],
        "vocabulary": [{"type": t, "words": w} for t, w in batch.vocabulary.items() if w],
        "changes": [dict(vars(c)) for c in batch.changes],
        "moments": moments.values,
    }


# A fact's properties that are moments: sent through the batch's Moments, not in its props.
_FACT_MOMENTS = ("valid_from", "valid_to", "observed_at")


def _fact_row(fact: FactRow, moments: Moments) -> dict[str, Any]:
    props = {k: v for k, v in fact.props.items() if k not in _FACT_MOMENTS}
    refs = {k: moments.ref(fact.props.get(k)) for k in _FACT_MOMENTS}
    return {
        "id": fact.id,
        "props": props,
        "embedding": _vector(fact.embedding),
        "f16": f16_bytes(fact.embedding),
        **refs,
    }


class Moments:
    """The distinct moments of one statement's rows, each sent once; rows carry positions.

    The driver converts every datetime parameter in Python (neo4j.time arithmetic, ~50 us
    each). An add of 100 facts carries ~330 of them (each fact's valid_from and observed_at,
    each relation's valid_from), nearly all one moment: ~15 ms of client CPU per add, the
    largest part of its Python time. Keyed by the value and its tzinfo, so equal instants
    given in other zones stay apart and every row stores exactly the moment it was given."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._positions: dict[tuple[Any, Any], int] = {}

    def ref(self, value: Any) -> int | None:
        """The position of `value` in `values` (added on first sight); None for None."""
        if value is None:
            return None
        key = (value, getattr(value, "tzinfo", None))
        position = self._positions.get(key)
        if position is None:
            position = self._positions[key] = len(self.values)
            self.values.append(value)
        return position


def _vector(values: Sequence[float] | None) -> Vector | None:
    return None if values is None else Vector(values)


@contextmanager
def translate_errors(uri: str | None = None) -> Iterator[None]:
    """Turn the driver's exceptions into StoreErrors that say what to do."""
    try:
        yield
    except AuthError:
        raise StoreError(
            "Neo4j refused the credentials: set GRAPHMEM_NEO4J_USER / GRAPHMEM_NEO4J_PASSWORD"
        ) from None
    except ServiceUnavailable as exc:
        where = f" at {masked_url(uri)}" if uri else ""
        raise StoreError(
            f"Neo4j is not reachable{where} ({masked_urls_in(str(exc))}). Start one with "
            "`graphmem neo4j start` or set GRAPHMEM_NEO4J_URI."
        ) from exc
    except (Neo4jError, DriverError) as exc:
        raise StoreError(f"Neo4j error: {masked_urls_in(str(exc))}") from exc
