"""A form field's widget tied to the elements that describe it, for assistive technology.

Load with ``{% load field_aria %}``. Django sets ``aria-describedby`` to the help text and an
error element only when the field has errors on the server; the request builder keeps an
error slot per field that live validation fills later, so its widgets name that slot too.
"""

from django import template

register = template.Library()


@register.filter
def described_by(field, error_id: str):
    """The widget with ``aria-describedby`` naming its help text (if any) and ``error_id``.

    ``aria-invalid`` is still set by Django when the bound field has errors.
    """
    ids = [f"{field.auto_id}_helptext"] if field.help_text else []
    ids.append(error_id)
    return field.as_widget(attrs={"aria-describedby": " ".join(ids)})
