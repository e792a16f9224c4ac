"""graphmem: relationship-aware long-term memory for LLM agents, on Neo4j."""

from graphmem.async_memory import AsyncMemory
from graphmem.config import Settings
from graphmem.domain import DomainSchema
from graphmem.errors import GraphMemError
from graphmem.memory import Memory

__all__ = ["AsyncMemory", "DomainSchema", "GraphMemError", "Memory", "Settings"]
__version__ = "0.1.0"
