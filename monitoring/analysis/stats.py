"""The statistics behind every dashboard number: proportions with honest intervals.

Answers are noisy (the same prompt gives different answers run to run), so a rate is
shown with its n and a 95% Wilson interval, and a change between periods is flagged only
when a test says it is more than noise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

Z_95 = 1.959964  # two-sided 95% quantile of the standard normal
ALPHA = 0.05
# The z-test's normal approximation needs this many expected successes and failures in
# each sample (the usual rule of thumb); below it Fisher's exact test decides.
MIN_EXPECTED = 5.0


def proportion(k: int, n: int) -> float | None:
    """``k / n``, or None when there is nothing to divide by (shown as "—", not 0%)."""
    _check_counts(k, n)
    return k / n if n else None


def wilson_interval(k: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for ``k`` successes in ``n`` trials.

    Wilson rather than the textbook normal interval because it stays inside [0, 1] and keeps
    its coverage for the small n and the rates near 0 or 1 that brand visibility has. With
    n == 0 nothing is known: (0.0, 1.0).
    """
    _check_counts(k, n)
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    low = 0.0 if k == 0 else max(0.0, centre - half_width)
    high = 1.0 if k == n else min(1.0, centre + half_width)
    return (low, high)


def change_is_significant(k1: int, n1: int, k2: int, n2: int) -> bool:
    """Whether ``k1/n1`` and ``k2/n2`` differ by more than noise, at the 5% level.

    A pooled two-proportion z-test, not "the Wilson intervals do not overlap": two 95%
    intervals can overlap while the difference is clearly significant (the non-overlap
    rule tests at roughly the 0.5% level and misses real changes). With small expected
    counts the normal approximation flatters the evidence (0/3 vs 3/3 would pass), so
    Fisher's exact test is used there instead.
    """
    _check_counts(k1, n1)
    _check_counts(k2, n2)
    if n1 == 0 or n2 == 0:
        return False
    pooled = (k1 + k2) / (n1 + n2)
    if pooled in (0.0, 1.0):
        return False  # all successes or all failures: no difference to see
    if min(n1, n2) * min(pooled, 1 - pooled) < MIN_EXPECTED:
        return _fisher_exact_p(k1, n1, k2, n2) < ALPHA
    standard_error = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return abs(k1 / n1 - k2 / n2) / standard_error > Z_95


def _fisher_exact_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided Fisher exact p-value: the probability, given the margins, of a table at
    most as likely as the observed one."""
    successes = k1 + k2
    low, high = max(0, successes - n2), min(successes, n1)
    log_total = _log_comb(n1 + n2, successes)

    def probability(x: int) -> float:
        return math.exp(_log_comb(n1, x) + _log_comb(n2, successes - x) - log_total)

    observed = probability(k1)
    tolerance = observed * 1e-7  # ties of floating-point noise count as "as extreme"
    p_value = sum(
        probability(x) for x in range(low, high + 1) if probability(x) <= observed + tolerance
    )
    return min(1.0, p_value)


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def share_of_voice(mentions_by_brand: Mapping[int, int]) -> dict[int, float | None]:
    """Each brand's share of all tracked-brand mentions, as a ratio of sums.

    The values are *answers mentioning the brand* summed over the period (each brand
    counted at most once per answer, per product.md), so the shares add up to 1. With no
    mentions at all the shares are undefined: None, never 0.
    """
    for count in mentions_by_brand.values():
        if count < 0:
            raise ValueError(f"negative mention count: {count}")
    total = sum(mentions_by_brand.values())
    return {brand: (count / total if total else None) for brand, count in mentions_by_brand.items()}


def mean_position(ranks: Sequence[int]) -> float | None:
    """Average rank (1 = named first) over the answers that mention the brand, or None."""
    if not ranks:
        return None
    return sum(ranks) / len(ranks)


def _check_counts(k: int, n: int) -> None:
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")


def chi_square_independence(
    counts: Sequence[tuple[int, int]],
) -> tuple[float, int, float, float] | None:
    """Pearson's chi-square test that the rate ``k / n`` is the same in every group.

    ``counts`` holds one ``(k, n)`` per group (an engine): the 2 × groups table of
    successes and failures. Returns ``(statistic, degrees of freedom, p-value, smallest
    expected count)``, or None when there is nothing to test (fewer than two groups with
    answers, or all successes or all failures). The p-value rests on the chi-square
    approximation, which needs expected counts of about 5 or more (``MIN_EXPECTED``);
    the caller reads the smallest one to say when the counts are too few to trust it.
    """
    groups = [(k, n) for k, n in counts if n]
    for k, n in groups:
        _check_counts(k, n)
    total = sum(n for _, n in groups)
    successes = sum(k for k, _ in groups)
    if len(groups) < 2 or successes in (0, total):
        return None
    rate = successes / total
    statistic, smallest = 0.0, math.inf
    for k, n in groups:
        for observed, expected in ((k, n * rate), (n - k, n * (1 - rate))):
            statistic += (observed - expected) ** 2 / expected
            smallest = min(smallest, expected)
    df = len(groups) - 1
    return statistic, df, chi_square_p(statistic, df), smallest


def chi_square_p(statistic: float, df: int) -> float:
    """Upper tail P(X >= statistic) of the chi-square distribution with ``df`` degrees of
    freedom: the regularised upper incomplete gamma function Q(df/2, statistic/2)."""
    if df < 1:
        raise ValueError(f"need df >= 1, got {df}")
    if statistic <= 0:
        return 1.0
    return _gamma_q(df / 2, statistic / 2)


def _gamma_q(a: float, x: float) -> float:
    """Q(a, x) by its series below ``a + 1`` and its continued fraction above (the
    standard split: each converges fast on its side)."""
    log_prefix = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1 / a
        denominator = a
        for _ in range(500):
            denominator += 1
            term *= x / denominator
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1 - total * math.exp(log_prefix))
    # Lentz's method for the continued fraction of Q.
    tiny = 1e-300
    b = x + 1 - a
    c, d = 1 / tiny, 1 / b
    fraction = d
    for i in range(1, 500):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        step = d * c
        fraction *= step
        if abs(step - 1) < 1e-15:
            break
    return min(1.0, math.exp(log_prefix) * fraction)


def mantel_haenszel(strata: Sequence[tuple[int, int, int, int]]) -> tuple[float, float] | None:
    """Cochran–Mantel–Haenszel test that two conditions have the same rate within strata.

    Each stratum (a prompt, asked by one engine) is ``(k1, n1, k2, n2)``: the rate under
    condition 1 (e.g. with web search) and under condition 2 (without). Comparing within
    each stratum, then summing, keeps a prompt asked more often under one condition from
    passing its own rate off as the condition's (Simpson's paradox of a pooled test).
    Returns ``(statistic, p-value)`` on one degree of freedom, without continuity
    correction, or None when no stratum varies (nothing to test).
    """
    observed = expected = variance = 0.0
    for k1, n1, k2, n2 in strata:
        _check_counts(k1, n1)
        _check_counts(k2, n2)
        total, successes = n1 + n2, k1 + k2
        if n1 == 0 or n2 == 0 or total < 2:
            continue
        observed += k1
        expected += n1 * successes / total
        variance += n1 * n2 * successes * (total - successes) / (total * total * (total - 1))
    if variance == 0:
        return None
    statistic = (observed - expected) ** 2 / variance
    return statistic, chi_square_p(statistic, 1)
