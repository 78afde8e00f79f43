"""Per-user flood protection: a token bucket per address, on the injected clock.

A message over the limit is refused, never dropped: the engine answers it with a short line saying it
was not read and when to write again (`Verdict`). The engine does not count presses of the options the
user was just shown, so answering a flow's buttons quickly is never refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # whole seconds until a message is read again (refused only)
    repeated: bool = False  # an earlier message of the same flood was refused already


ALLOWED = Verdict(True)


@dataclass
class _Bucket:
    tokens: float
    updated: datetime
    refused: bool = False  # the last message was refused


class RateLimiter:
    """`capacity` messages at once, refilled at `per_minute`; idle buckets are forgotten."""

    def __init__(self, capacity: int = 15, per_minute: float = 30) -> None:
        self.capacity = capacity
        self.rate = per_minute / 60.0
        self._buckets: dict[str, _Bucket] = {}

    def take(self, address: str, now: datetime) -> Verdict:
        """Count one message of `address`: allowed while the bucket has a token, else refused."""
        bucket = self._buckets.get(address)
        if bucket is None:
            bucket = self._buckets[address] = _Bucket(float(self.capacity), now)
        elapsed = max((now - bucket.updated).total_seconds(), 0.0)
        bucket.tokens = min(self.capacity, bucket.tokens + elapsed * self.rate)
        bucket.updated = now
        if len(self._buckets) > 10_000:
            self._forget_idle(now)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.refused = False
            return ALLOWED
        repeated, bucket.refused = bucket.refused, True
        return Verdict(False, max(1, math.ceil((1 - bucket.tokens) / self.rate)), repeated)

    def _forget_idle(self, now: datetime) -> None:
        full_after = self.capacity / self.rate
        for address in [a for a, b in self._buckets.items() if (now - b.updated).total_seconds() > full_after]:
            del self._buckets[address]
