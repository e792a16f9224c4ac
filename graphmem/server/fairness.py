"""Fairness between API keys: each key may have a bounded number of requests in flight.

Without it one key's burst (say 64 concurrent searches) fills the worker threads and the
Neo4j connection pool, and every other key waits behind it. A request over its key's limit
is answered at once with 429 and Retry-After, so it costs the others nothing.
"""

from __future__ import annotations

from collections import Counter

DEFAULT_MAX_CONCURRENT_PER_KEY = 4
RETRY_AFTER_S = 1


class KeyLimiter:
    """Counts each key's requests in flight; used from the event loop thread only."""

    def __init__(self, max_in_flight: int = DEFAULT_MAX_CONCURRENT_PER_KEY) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.max_in_flight = max_in_flight
        self._in_flight: Counter[str] = Counter()

    def try_acquire(self, key: str) -> bool:
        """Admit one more request of `key`, unless it already has max_in_flight."""
        if self._in_flight[key] >= self.max_in_flight:
            return False
        self._in_flight[key] += 1
        return True

    def release(self, key: str) -> None:
        self._in_flight[key] -= 1
        if self._in_flight[key] <= 0:
            del self._in_flight[key]

    def in_flight(self, key: str) -> int:
        return self._in_flight[key]
