"""Reflect one database object with SQLAlchemy inspection, plus the documented side tables.

Naming: ``physicalName`` is ``schema.name``. SQLite has no schemas, so there the object
``schema.name`` is the table or view ``schema__name`` (two underscores, so the mapping reads
back without ambiguity); a name without a schema is looked up as is. Other dialects use the
schema directly.

Descriptions come from the database's own comments where it has them, and from the optional
side table ``_data_dictionary(object_name, column_name, description)`` (``column_name`` NULL
for the object itself), which wins where both exist: SQLite cannot store comments. Kinds the
engine cannot represent (a SQLite "sequence" is a one-row table) are declared in the optional
``_object_kinds(object_name, kind)``. Both tables key on the physical name ``schema.name``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import Inspector
from sqlalchemy.exc import NoSuchTableError

from services.drafting.errors import UnknownObject
from services.drafting.model import (
    ColumnDescription,
    ForeignKeyDescription,
    IndexDescription,
    ObjectDescription,
)

__all__ = [
    "DATA_DICTIONARY_TABLE",
    "OBJECT_KINDS_TABLE",
    "describe_from_dictionary",
    "local_name",
    "physical_name_of",
    "reflect_object",
]

DATA_DICTIONARY_TABLE = "_data_dictionary"
OBJECT_KINDS_TABLE = "_object_kinds"


def local_name(engine: Engine, physical_name: str) -> tuple[str | None, str]:
    """(schema, name) under which the object lives in this database."""
    schema, _, name = physical_name.rpartition(".")
    if not schema:
        return None, name
    if engine.dialect.name == "sqlite":
        return None, f"{schema}__{name}"
    return schema, name


def physical_name_of(engine: Engine, schema: str | None, name: str) -> str:
    """The inverse of ``local_name``: how a reflected table is named in documents."""
    if schema:
        return f"{schema}.{name}"
    if engine.dialect.name == "sqlite" and "__" in name:
        prefix, _, rest = name.partition("__")
        return f"{prefix}.{rest}"
    return name


def reflect_object(engine: Engine, database: str, physical_name: str) -> ObjectDescription:
    """Describe the object as it is now; ``UnknownObject`` when it is not there.

    Tables and views come with columns and keys; on SQL Server procedures, functions,
    sequences and synonyms are found too (kind and description only).
    """
    schema, name = local_name(engine, physical_name)
    with engine.connect() as connection:
        inspector = inspect(connection)
        kind = _reflected_kind(inspector, schema, name) or _catalog_kind(connection, schema, name)
        if kind is None:
            looked_for = f"{schema}.{name}" if schema else name
            raise UnknownObject(database, physical_name, looked_for)
        dictionary = _dictionary_rows(connection, inspector, physical_name)
        declared = _declared_kind(connection, inspector, physical_name)
        try:
            reflected_columns = (
                inspector.get_columns(name, schema=schema) if kind in {"table", "view"} else []
            )
        except NoSuchTableError as error:  # dropped between the two calls
            raise UnknownObject(database, physical_name, name) from error
        columns = tuple(_column(c, dictionary) for c in reflected_columns)
        is_table = kind == "table"
        primary_key = (
            tuple(inspector.get_pk_constraint(name, schema=schema).get("constrained_columns") or ())
            if is_table
            else ()
        )
        foreign_keys = (
            tuple(
                ForeignKeyDescription(
                    name=fk.get("name"),
                    columns=tuple(fk["constrained_columns"]),
                    referred_object=physical_name_of(
                        engine, fk.get("referred_schema"), fk["referred_table"]
                    ),
                    referred_columns=tuple(fk["referred_columns"]),
                )
                for fk in inspector.get_foreign_keys(name, schema=schema)
            )
            if is_table
            else ()
        )
        indexes = (
            tuple(
                IndexDescription(
                    name=ix.get("name"),
                    columns=tuple(c for c in ix.get("column_names", []) if c is not None),
                    unique=bool(ix.get("unique")),
                )
                for ix in inspector.get_indexes(name, schema=schema)
            )
            if is_table
            else ()
        )
        # UNIQUE constraints are indexes too as far as a reader is concerned.
        indexes += (
            tuple(
                IndexDescription(
                    name=uc.get("name"), columns=tuple(uc["column_names"]), unique=True
                )
                for uc in inspector.get_unique_constraints(name, schema=schema)
            )
            if is_table
            else ()
        )
        description = dictionary.get(None) or _table_comment(inspector, name, schema)
    return ObjectDescription(
        database=database,
        physical_name=physical_name,
        kind=declared or kind,
        exists=True,
        description=description,
        columns=columns,
        primary_key=primary_key,
        foreign_keys=foreign_keys,
        indexes=indexes,
    )


def describe_from_dictionary(
    engine: Engine, database: str, physical_name: str
) -> ObjectDescription:
    """What the side tables still say about an object that no longer exists (a drop)."""
    with engine.connect() as connection:
        inspector = inspect(connection)
        dictionary = _dictionary_rows(connection, inspector, physical_name)
        declared = _declared_kind(connection, inspector, physical_name)
    columns = tuple(
        ColumnDescription(name=column, type="unknown", nullable=True, description=text_)
        for column, text_ in dictionary.items()
        if column is not None
    )
    source = (
        "the data dictionary"
        if dictionary
        else "the change message only (the data dictionary has no entry)"
    )
    return ObjectDescription(
        database=database,
        physical_name=physical_name,
        kind=declared or "unknown",
        exists=False,
        description=dictionary.get(None),
        columns=columns,
        notes=(f"The object no longer exists in {database}; this record is built from {source}.",),
    )


def _reflected_kind(inspector: Inspector, schema: str | None, name: str) -> str | None:
    if name in inspector.get_view_names(schema=schema):
        return "view"
    if name in inspector.get_table_names(schema=schema):
        return "table"
    return None


# SQL Server objects SQLAlchemy does not reflect, by sys.objects.type_desc.
_SQL_SERVER_KINDS = {
    "SQL_STORED_PROCEDURE": "procedure",
    "SQL_SCALAR_FUNCTION": "function",
    "SQL_TABLE_VALUED_FUNCTION": "function",
    "SQL_INLINE_TABLE_VALUED_FUNCTION": "function",
    "SEQUENCE_OBJECT": "sequence",
    "SYNONYM": "synonym",
}


def _catalog_kind(connection: Any, schema: str | None, name: str) -> str | None:
    """Procedures, functions, sequences and synonyms on SQL Server (none elsewhere)."""
    if connection.dialect.name != "mssql":
        return None
    type_desc = connection.execute(
        text(
            "SELECT o.type_desc FROM sys.objects AS o JOIN sys.schemas AS s "
            "ON s.schema_id = o.schema_id WHERE s.name = :schema AND o.name = :name"
        ),
        {"schema": schema or "dbo", "name": name},
    ).scalar()
    return _SQL_SERVER_KINDS.get(str(type_desc)) if type_desc else None


def _dictionary_rows(
    connection: Any, inspector: Inspector, physical_name: str
) -> dict[str | None, str]:
    """column name (None: the object) -> description, from ``_data_dictionary``."""
    if DATA_DICTIONARY_TABLE not in inspector.get_table_names():
        return {}
    rows = connection.execute(
        text(
            f"SELECT column_name, description FROM {DATA_DICTIONARY_TABLE} "
            "WHERE object_name = :name"
        ),
        {"name": physical_name},
    )
    result: dict[str | None, str] = {}
    for column, description in rows:
        if description and description.strip():
            result[column or None] = description.strip()
    return result


def _declared_kind(connection: Any, inspector: Inspector, physical_name: str) -> str | None:
    if OBJECT_KINDS_TABLE not in inspector.get_table_names():
        return None
    kind = connection.execute(
        text(f"SELECT kind FROM {OBJECT_KINDS_TABLE} WHERE object_name = :name"),
        {"name": physical_name},
    ).scalar()
    return str(kind).strip().lower() if kind else None


def _column(reflected: Any, dictionary: dict[str | None, str]) -> ColumnDescription:
    default = reflected.get("default")
    return ColumnDescription(
        name=reflected["name"],
        type=str(reflected["type"]),
        nullable=bool(reflected.get("nullable", True)),
        default=None if default is None else str(default),
        description=dictionary.get(reflected["name"]) or reflected.get("comment") or None,
        autoincrement=reflected.get("autoincrement") is True,
    )


def _table_comment(inspector: Inspector, name: str, schema: str | None) -> str | None:
    try:
        comment = inspector.get_table_comment(name, schema=schema).get("text")
    except NotImplementedError:  # SQLite: comments are not supported at all
        return None
    return comment or None
