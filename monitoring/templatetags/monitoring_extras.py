"""Template filters for showing a rate (k of n with its 95% interval) the same way everywhere,
a brand's colour as a CSS class, and the engines a monitor or run asks.

Load with ``{% load monitoring_extras %}``. The rate filters take an object with the
attributes of ``monitoring.selectors.dashboard.rates.Rate`` (k, n, percent, low_percent,
high_percent). Every filter returns a plain string, so Django still escapes it.
"""

import re
from decimal import ROUND_HALF_UP, Decimal

from django import template

from monitoring.aisa.contract import family_label
from monitoring.models.requests import engine_targets

register = template.Library()

_HEX_COLOUR = re.compile(r"#([0-9a-fA-F]{6})")


def _fixed(value: float, digits) -> str:
    """``value`` with ``digits`` decimals, rounded half up as ``floatformat`` rounds, without
    its localisation machinery: the dashboard shows hundreds of rates, and ``floatformat``
    was most of the time spent rendering them."""
    digits = int(digits)
    exponent = Decimal(1).scaleb(-digits)
    return str(Decimal(repr(value)).quantize(exponent, rounding=ROUND_HALF_UP))


@register.filter
def pct(rate, digits=1):
    """The rate as "42.0%", or "—" when n is 0 (there is no rate to show)."""
    if not rate.n:
        return "—"
    return f"{_fixed(rate.percent, digits)}%"


@register.filter
def ci(rate, digits=1):
    """The 95% interval as "12.3–45.6%" (en dash; with n == 0 it is the whole 0–100%)."""
    return f"{_fixed(rate.low_percent, digits)}–{_fixed(rate.high_percent, digits)}%"


@register.filter
def kn(rate):
    """The counts behind the rate as "7/10", so every number shows what it rests on."""
    return f"{rate.k}/{rate.n}"


@register.filter
def colour_class(colour) -> str:
    """The CSS class that paints a brand in ``colour``: "#4f46e5" is "colour-4f46e5".

    A class, not a style attribute, so the Content-Security-Policy can refuse inline styles;
    static/css/app.css defines one per colour of the palette (anything else is neutral).
    """
    match = _HEX_COLOUR.fullmatch(colour or "")
    return f"colour-{match.group(1).lower()}" if match else "colour-none"


@register.filter
def engines_asked(source) -> list[dict]:
    """The engines a monitor or a run asks, each with its label and model (in order)."""
    pairs = engine_targets(
        getattr(source, "engines", None), getattr(source, "request_settings", None)
    )
    return [{"engine": e, "label": family_label(e), "model_name": m} for e, m in pairs]
