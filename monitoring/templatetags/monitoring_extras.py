"""Template filters for showing a rate (k of n with its 95% interval) the same way everywhere.

Load with ``{% load monitoring_extras %}``. Each filter takes an object with the attributes of
``monitoring.selectors.dashboard.rates.Rate`` (k, n, percent, low_percent, high_percent) and
returns a plain string, so Django still escapes it.
"""

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()


@register.filter
def pct(rate, digits=1):
    """The rate as "42.0%", or "—" when n is 0 (there is no rate to show)."""
    if not rate.n:
        return "—"
    return f"{floatformat(rate.percent, digits)}%"


@register.filter
def ci(rate, digits=1):
    """The 95% interval as "12.3–45.6%" (en dash; with n == 0 it is the whole 0–100%)."""
    return f"{floatformat(rate.low_percent, digits)}–{floatformat(rate.high_percent, digits)}%"


@register.filter
def kn(rate):
    """The counts behind the rate as "7/10", so every number shows what it rests on."""
    return f"{rate.k}/{rate.n}"
