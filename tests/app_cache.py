"""The apps a pytest process keeps between tests, and the emptying of tables after each.

Building the app costs ~70 ms (far more on a busy machine): a process keeps the apps it
built, by settings, and hands one to the next test with the same settings, reset to how it
was built (tests/conftest.py's `app` fixture). After each test every row is deleted.
"""

from __future__ import annotations

import sqlalchemy as sa

from app import create_app
from app.extensions import api, bcrypt, jwt, limiter, migrate
from app.extensions import db as _db
from app.jwt_manager import EXTENSION_KEY as VERIFIED_TOKENS
from app.jwt_manager import VerifiedTokens
from app.keys.keyring import EXTENSION_KEY as KEYRING
from app.keys.keyring import Keyring
from app.tokens.revocation import init_revocation_store

# Extension objects that `create_app` binds to the app it builds, shared by every app of
# the process (Flask-SQLAlchemy keeps each app's engines apart: `db` is not one of them).
SHARED_EXTENSIONS = (api, limiter, jwt, bcrypt, migrate)


class _BuiltApp:
    """One app the process built, with what a test may change in it."""

    def __init__(self, app_config: dict, key: str | None):
        self.key = key
        self.app = create_app(app_config)
        self.config = dict(self.app.config)
        self.extensions = dict(self.app.extensions)
        self.rules = len(list(self.app.url_map.iter_rules()))
        self.hooks = _hooks(self.app)
        # What create_app left in the shared extension objects for this app.
        self.bound = [(extension, _copied(vars(extension))) for extension in SHARED_EXTENSIONS]

    def bind(self) -> None:
        """Give the shared extension objects back the state create_app gave them for us."""
        for extension, state in self.bound:
            vars(extension).clear()
            vars(extension).update(_copied(state))

    def changed(self) -> bool:
        """Whether a test added routes or hooks: the app is then no longer the one built."""
        return (len(list(self.app.url_map.iter_rules())) != self.rules
                or _hooks(self.app) != self.hooks)

    def close(self) -> None:
        """Close the app's database connections."""
        with self.app.app_context():
            _db.engine.dispose()


def _copied(state: dict) -> dict:
    # Containers an extension fills in place get a copy; anything else is shared as is.
    return {name: value.copy() if type(value) in (dict, list, set) else value
            for name, value in state.items()}


class KeptApps:
    """The apps this process built, the most recently used last."""

    LIMIT = 8  # each holds its engine's connections
    built: dict[str, _BuiltApp] = {}
    # An app whose limits count outside the process (Redis, a file): one test's only.
    single: _BuiltApp | None = None

    @classmethod
    def get(cls, app_config: dict):
        """An app with these settings: a kept one, bound again to the shared extensions."""
        # Limits count in the app's Limiter storage: one in memory is emptied for the next
        # test; any other (Redis, a file) gets an app, and a count, of its own.
        limited = app_config.get("RATELIMIT_ENABLED")
        in_memory = str(app_config.get("RATELIMIT_STORAGE_URI", "memory://")).startswith(
            "memory://")
        key = None if limited and not in_memory else repr(sorted(app_config.items()))
        entry = cls.built.pop(key, None) if key is not None else None
        if entry is None:
            entry = _BuiltApp(app_config, key)
        elif _smorest_app() is not entry.app:
            entry.bind()  # another app was built (here or by a test) since this one was used
        if limited and key is not None:
            limiter.storage.reset()  # what earlier tests counted
        if key is None:
            cls.single = entry
        else:
            cls.built[key] = entry
            while len(cls.built) > cls.LIMIT:
                cls.built.pop(next(iter(cls.built))).close()
        application = entry.app
        # Flask refuses new routes once an app served a request; tests add some.
        application._got_first_request = False
        application.extensions[VERIFIED_TOKENS] = VerifiedTokens()
        application.extensions[KEYRING] = Keyring()  # the tables are emptied between tests
        # The store's memory (when it last purged, the users it cached) is of earlier tests.
        init_revocation_store(application)
        return application

    @classmethod
    def release(cls, application) -> None:
        """Restore settings and extension state; discard an app a test added routes to."""
        entry = next((e for e in (cls.single, *cls.built.values())
                      if e is not None and e.app is application), None)
        if entry is None:
            return
        application.config.clear()
        application.config.update(entry.config)
        application.extensions.clear()
        application.extensions.update(entry.extensions)
        if entry is cls.single or entry.changed():
            cls.built.pop(entry.key, None)
            cls.single = None
            entry.close()


def _smorest_app():
    return getattr(api, "_app", None)


def _hooks(application) -> list:
    return [(name, key, list(funcs)) for name in ("before_request_funcs", "after_request_funcs",
                                                  "teardown_request_funcs")
            for key, funcs in getattr(application, name).items()]


def empty_tables() -> None:
    """Delete every row of the tables that have any, in one transaction, dependents first."""
    with _db.engine.begin() as conn:
        names, probe, deletes = _emptying_sql(conn.dialect)
        filled = set(conn.exec_driver_sql(probe).scalars())
        if not filled:
            return
        if conn.dialect.name == "mysql":
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS=0")
        elif names.index("users") in filled:
            # users and files name each other; break the cycle before deleting.
            conn.exec_driver_sql('UPDATE users SET "profileImageId" = NULL')
        for index, delete in enumerate(deletes):
            if index in filled:
                conn.exec_driver_sql(delete)
        if conn.dialect.name == "mysql":
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS=1")


_EMPTYING: dict[tuple, tuple[list[str], str, list[str]]] = {}


def _emptying_sql(dialect) -> tuple[list[str], str, list[str]]:
    """(table names, probe, DELETE of each) of the tables, dependents first, as SQL text.

    Built and compiled once per dialect: building the 30-table probe and looking up its
    compiled form cost more than running it, after every test.
    """
    tables = list(reversed(_db.metadata.sorted_tables))
    key = (dialect.name, tuple(table.name for table in tables))
    if key not in _EMPTYING:
        # The probe answers the index of each table that has a row.
        probe = sa.union_all(*(
            sa.select(sa.literal_column(str(index))).where(sa.exists().select_from(table))
            for index, table in enumerate(tables)))
        _EMPTYING[key] = (
            [table.name for table in tables],
            str(probe.compile(dialect=dialect)),
            [str(table.delete().compile(dialect=dialect)) for table in tables])
    return _EMPTYING[key]
