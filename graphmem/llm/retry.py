"""The one retry loop every remote model call goes through.

Providers say what an exception means (`Failure`: a message for people, whether trying again
can help, how long the server asked us to wait); this module decides when to try again.
Only transport errors, timeouts, 429 and 5xx are worth retrying: a 4xx will fail the same way.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from graphmem.errors import GraphMemError, LLMError

T = TypeVar("T")
log = logging.getLogger("graphmem.llm")

# 408 is the server timing out on us, 429 a rate limit; other 4xx fail the same way again.
RETRYABLE_STATUSES = frozenset({408, 429})


def is_retryable_status(status: int) -> bool:
    """True for statuses where the same request may succeed later (rate limits, 5xx)."""
    return status in RETRYABLE_STATUSES or status >= 500


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to try again and how long to wait in between."""

    max_retries: int = 2
    base_delay_s: float = 0.5
    max_delay_s: float = 20.0

    def delay(self, retry: int, retry_after_s: float | None = None) -> float:
        """Seconds to wait before retry number `retry` (0-based)."""
        if retry_after_s is not None and retry_after_s >= 0:
            return min(retry_after_s, self.max_delay_s)
        ceiling = min(self.max_delay_s, self.base_delay_s * 2**retry)
        # Half fixed, half jitter: waits still grow, but clients that failed together
        # do not come back in lockstep.
        return ceiling / 2 + random.uniform(0, ceiling / 2)


@dataclass(frozen=True)
class Failure:
    """What a provider made of an exception."""

    message: str
    retryable: bool
    retry_after_s: float | None = None


Classifier = Callable[[Exception], "Failure | None"]


def call_with_retries(
    call: Callable[[], T],
    *,
    policy: RetryPolicy,
    classify: Classifier,
    error: type[GraphMemError] = LLMError,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `call`, retrying retryable failures under `policy`.

    `classify` returns None for exceptions it does not recognise; those propagate unchanged
    (they are bugs, not server trouble). Recognised failures end as `error(message)` with
    the last exception as its cause.
    """
    retry = 0
    while True:
        try:
            return call()
        except Exception as exc:
            failure = classify(exc)
            if failure is None:
                raise
            if not failure.retryable or retry >= policy.max_retries:
                raise error(_final_message(failure, retry)) from exc
            wait = policy.delay(retry, failure.retry_after_s)
            log.warning(
                "%s; retrying in %.2fs (%d/%d)",
                failure.message,
                wait,
                retry + 1,
                policy.max_retries,
            )
            sleep(wait)
            retry += 1


def _final_message(failure: Failure, retries: int) -> str:
    if not failure.retryable or retries == 0:
        return failure.message
    return f"{failure.message} (gave up after {retries + 1} attempts)"
