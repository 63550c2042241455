"""Rates with their intervals, and a rate against the previous period."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from monitoring.analysis.stats import change_is_significant, wilson_interval


@dataclass
class Rate:
    """k of n with its 95% Wilson interval; ``value`` is None when n is 0 (shown as "—")."""

    k: int
    n: int

    @property
    def value(self) -> float | None:
        return self.k / self.n if self.n else None

    @functools.cached_property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.k, self.n)

    @property
    def percent(self) -> float | None:
        return None if self.value is None else 100 * self.value

    @property
    def low_percent(self) -> float:
        return 100 * self.interval[0]

    @property
    def high_percent(self) -> float:
        return 100 * self.interval[1]


@dataclass
class Change:
    """A rate now against the previous period of equal length."""

    now: Rate
    before: Rate

    @property
    def delta(self) -> float | None:
        if self.now.value is None or self.before.value is None:
            return None
        return self.now.value - self.before.value

    @property
    def significant(self) -> bool:
        return change_is_significant(self.now.k, self.now.n, self.before.k, self.before.n)

    @property
    def delta_points(self) -> float | None:
        """The size of the change in percentage points (the arrow gives its sign)."""
        return None if self.delta is None else abs(100 * self.delta)

    @property
    def direction(self) -> str:
        delta = self.delta
        if delta is None or delta == 0:
            return "flat"
        return "up" if delta > 0 else "down"
