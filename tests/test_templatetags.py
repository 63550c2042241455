"""The monitoring_extras filters that show a rate, its counts and its 95% interval."""

from django.template import Context, Template

from monitoring.selectors.dashboard.rates import Rate
from monitoring.templatetags.monitoring_extras import ci, kn, pct


def render(source, **context):
    return Template("{% load monitoring_extras %}" + source).render(Context(context))


def test_it_shows_a_rate_as_a_percent_with_one_digit():
    assert pct(Rate(7, 10)) == "70.0%"


def test_it_shows_a_dash_for_a_rate_without_answers():
    assert pct(Rate(0, 0)) == "—"
    assert pct(Rate(0, 0), 0) == "—"


def test_it_shows_a_rate_of_zero_as_zero_not_as_a_dash():
    assert pct(Rate(0, 3)) == "0.0%"


def test_it_takes_the_digits_of_the_percent():
    assert pct(Rate(7, 10), 0) == "70%"
    assert pct(Rate(1, 3), 2) == "33.33%"
    assert pct(Rate(2, 3), 0) == "67%"


def test_it_shows_the_wilson_interval_with_an_en_dash():
    assert ci(Rate(7, 10)) == "39.7–89.2%"


def test_it_takes_the_digits_of_the_interval():
    assert ci(Rate(7, 10), 0) == "40–89%"
    assert ci(Rate(7, 10), 2) == "39.68–89.22%"


def test_it_shows_the_whole_range_as_the_interval_of_a_rate_without_answers():
    assert ci(Rate(0, 0)) == "0.0–100.0%"
    assert ci(Rate(0, 0), 0) == "0–100%"


def test_it_shows_the_counts_behind_a_rate():
    assert kn(Rate(7, 10)) == "7/10"
    assert kn(Rate(0, 0)) == "0/0"


def test_it_renders_the_filters_in_a_template_with_their_digits():
    out = render(
        "{{ r|pct }} {{ r|pct:0 }} {{ r|ci }} {{ r|ci:0 }} {{ r|kn }} {{ z|pct }} {{ z|ci }}",
        r=Rate(7, 10),
        z=Rate(0, 0),
    )
    assert out == "70.0% 70% 39.7–89.2% 40–89% 7/10 — 0.0–100.0%"


def test_it_returns_plain_strings_that_the_template_still_escapes():
    for value in (pct(Rate(7, 10)), ci(Rate(7, 10)), kn(Rate(7, 10))):
        assert type(value) is str
    assert render("{{ r|kn }}", r=Rate(7, 10)) == "7/10"
