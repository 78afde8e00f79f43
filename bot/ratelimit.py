"""Per-user flood protection: a token bucket per address, on the injected clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class _Bucket:
    tokens: float
    updated: datetime
    warned: bool = False


class RateLimiter:
    """`capacity` messages at once, refilled at `per_minute`; idle buckets are forgotten."""

    def __init__(self, capacity: int = 15, per_minute: float = 30) -> None:
        self.capacity = capacity
        self.rate = per_minute / 60.0
        self._buckets: dict[str, _Bucket] = {}

    def check(self, address: str, now: datetime) -> str:
        """'ok', 'warn' (first refusal: tell the user once) or 'drop' (stay quiet)."""
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
            bucket.warned = False
            return "ok"
        if bucket.warned:
            return "drop"
        bucket.warned = True
        return "warn"

    def _forget_idle(self, now: datetime) -> None:
        full_after = self.capacity / self.rate
        for address in [a for a, b in self._buckets.items() if (now - b.updated).total_seconds() > full_after]:
            del self._buckets[address]
