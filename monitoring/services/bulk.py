"""Set-based writes of many rows: one multi-row INSERT, one ``UPDATE … FROM (VALUES …)``.

Django's ``bulk_create`` and ``bulk_update`` build an object and an expression per value
(``bulk_update`` a ``CASE`` branch per row), and ``executemany`` is a round trip per row on
PostgreSQL: for the few rows of each of many tasks or answers, that cost more than the
work recorded. These take values already in the database's form (``get_db_prep_save``)
and write a statement per ``BULK_BATCH`` rows, in SQL that SQLite (≥ 3.33) and PostgreSQL
both run. Only the models' own table and column names and types are formatted into the SQL;
values are parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, Model

#: Rows per statement (SQLite allows 32,766 parameters per statement).
BULK_BATCH = 500


def plain_columns(model: type[Model], names: Sequence[str]) -> list[Field]:
    """The model's fields of these names (or attnames), each a concrete column."""
    fields = [model._meta.get_field(name) for name in names]
    for f in fields:
        if not isinstance(f, Field) or not f.concrete:
            raise ValueError(f"{f} is not a column of {model.__name__}.")
    return fields  # type: ignore[return-value]


def rows_insert(model: type[Model], fields: Sequence[Field], rows: Sequence[Sequence[Any]]) -> None:
    """``INSERT`` the rows (values in the order of ``fields``, prepared for the database)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    table = quote(model._meta.db_table)
    for start in range(0, len(rows), BULK_BATCH):
        chunk = rows[start : start + BULK_BATCH]
        params = [value for row in chunk for value in row]
        values = ", ".join([one] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values}", params)  # noqa: S608


def rows_update(model: type[Model], fields: Sequence[Field], rows: Sequence[Sequence[Any]]) -> None:
    """Set ``fields`` of each row's object: a row is its primary key, then the values (in
    the order of ``fields``, prepared for the database)."""
    pk = model._meta.pk
    assert pk is not None  # noqa: S101 (every model has one)
    quote = connection.ops.quote_name
    # A VALUES list's columns are column1, column2, … in SQLite and PostgreSQL alike.
    assignments = ", ".join(f"{quote(f.column)} = v.column{i}" for i, f in enumerate(fields, 2))
    one = "(" + ", ".join(placeholder(f) for f in (pk, *fields)) + ")"
    table = quote(model._meta.db_table)
    for start in range(0, len(rows), BULK_BATCH):
        chunk = rows[start : start + BULK_BATCH]
        params = [value for row in chunk for value in row]
        values = ", ".join([one] * len(chunk))
        sql = (
            f"UPDATE {table} SET {assignments} FROM (VALUES {values}) AS v "  # noqa: S608
            f"WHERE {table}.{quote(pk.column)} = v.column1"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def placeholder(field: Field) -> str:
    """PostgreSQL types a VALUES list from its values, and a parameter is untyped: each is
    cast to its column's type. SQLite needs no cast (a column converts what it stores), and
    must not get one: ``CAST(… AS datetime)`` would make a date a number there."""
    if connection.vendor == "postgresql":
        return f"CAST(%s AS {field.db_type(connection)})"
    return "%s"
