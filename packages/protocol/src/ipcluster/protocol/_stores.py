"""The names of the hub's task-record stores, shared by the controller's command line and the hub.

``c.HubFactory.db_class`` may name a store by full dotted name (ours or
ipyparallel's: ``'ipyparallel.controller.sqlitedb.SQLiteDB'``), by class name,
or by a case-insensitive prefix (``'sqlite'``); every form resolves here to one
class name, checked before any process starts.
"""

from __future__ import annotations

STORE_CLASSES = ("DictDB", "SQLiteDB", "RedisDB", "MongoDB", "NoDB")


class UnknownStore(ValueError):
    """A db_class naming no store (or several)."""


def resolve_store_name(name: str) -> str:
    """The store class `name` means; UnknownStore if none or several."""
    short = name.rsplit(".", 1)[-1]
    if short in STORE_CLASSES:
        return short
    found = [cls for cls in STORE_CLASSES if short and cls.lower().startswith(short.lower())]
    if len(found) == 1:
        return found[0]
    choices = ", ".join(STORE_CLASSES)
    if found:
        raise UnknownStore(f"db_class {name!r} could mean {' or '.join(found)}: give more of the name ({choices})")
    raise UnknownStore(f"unknown db_class {name!r}: choose one of {choices}")
