import pytest

from monitoring.analysis import (
    change_is_significant,
    mean_position,
    proportion,
    share_of_voice,
    wilson_interval,
)


def rounded(interval):
    return tuple(round(bound, 4) for bound in interval)


@pytest.mark.parametrize(
    ("k", "n", "expected"),
    [
        (8, 10, (0.4902, 0.9433)),
        (0, 10, (0.0, 0.2775)),
        (10, 10, (0.7225, 1.0)),
        (50, 100, (0.4038, 0.5962)),
        (1, 1, (0.2065, 1.0)),
    ],
)
def test_it_computes_known_wilson_intervals(k, n, expected):
    assert rounded(wilson_interval(k, n)) == expected


def test_it_returns_the_whole_range_when_there_are_no_observations():
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_it_narrows_the_interval_with_a_smaller_z():
    low, high = wilson_interval(8, 10, z=1.0)
    assert 0.4902 < low < high < 0.9433


@pytest.mark.parametrize(("k", "n"), [(-1, 10), (11, 10), (0, -1)])
def test_it_rejects_impossible_counts(k, n):
    with pytest.raises(ValueError):
        wilson_interval(k, n)
    with pytest.raises(ValueError):
        proportion(k, n)


def test_it_computes_proportions_and_none_without_data():
    assert proportion(3, 4) == 0.75
    assert proportion(0, 0) is None


def test_it_flags_a_large_change_as_significant():
    assert change_is_significant(10, 100, 30, 100)
    assert change_is_significant(30, 100, 10, 100)


def test_it_does_not_flag_noise():
    assert not change_is_significant(10, 100, 12, 100)
    assert not change_is_significant(5, 10, 5, 10)


def test_it_flags_a_change_whose_wilson_intervals_still_overlap():
    # The reason for the z-test: 20/100 vs 35/100 is significant (z ≈ 2.4) although the
    # two 95% intervals overlap.
    assert wilson_interval(20, 100)[1] > wilson_interval(35, 100)[0]
    assert change_is_significant(20, 100, 35, 100)


def test_it_uses_an_exact_test_for_small_samples():
    # The z-test would call 0/3 vs 3/3 significant (z ≈ 2.45); Fisher's p = 0.1.
    assert not change_is_significant(0, 3, 3, 3)
    # Fisher's two-sided p: 1/10 vs 6/10 -> 0.057 (not), 0/10 vs 5/10 -> 0.033 (yes).
    assert not change_is_significant(1, 10, 6, 10)
    assert change_is_significant(0, 10, 5, 10)


def test_it_never_flags_a_change_without_data_or_variation():
    assert not change_is_significant(0, 0, 30, 100)
    assert not change_is_significant(0, 100, 0, 100)
    assert not change_is_significant(100, 100, 50, 50)


def test_it_computes_share_of_voice_as_a_ratio_of_sums():
    # Answers mentioning each brand over the period (at most once per answer).
    shares = share_of_voice({1: 30, 2: 15, 3: 5, 4: 0})
    assert shares == {1: 0.6, 2: 0.3, 3: 0.1, 4: 0.0}
    assert sum(shares.values()) == pytest.approx(1.0)


def test_it_leaves_share_of_voice_undefined_without_mentions():
    assert share_of_voice({1: 0, 2: 0}) == {1: None, 2: None}
    assert share_of_voice({}) == {}
    with pytest.raises(ValueError):
        share_of_voice({1: -1})


def test_it_computes_mean_position():
    assert mean_position([1, 2, 3, 1, 3]) == 2.0
    assert mean_position([1]) == 1.0
    assert mean_position([]) is None
