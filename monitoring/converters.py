"""Path converters: an id in a URL is a number its column can hold, or the URL matches nothing.

Django's ``int`` converter takes any number of digits; one beyond 64 bits then fails in the
database (SQLite's OverflowError, PostgreSQL's DataError) instead of being a 404.
"""

from monitoring.forms.fields import id_max


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= id_max():
            raise ValueError(f"No row can have the id {value}.")  # Django: no match, a 404
        return number

    def to_url(self, value) -> str:
        return str(value)
