"""Storage accounting as the files domain sees it: hooks that the users domain fills in.

Files know no users (domains depend one way): the owner's usage counter and quota live
with the users (`app.users.quota`), which registers them here. Without a registered
account every upload is unlimited and nothing is counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from flask import Flask, current_app

ACCOUNT_KEY = "signet.files.storage_account"


class Account(Protocol):
    """An account as the files domain knows it: who uploads, owns or asks for a file."""

    id: int
    is_admin: bool


@dataclass(frozen=True)
class StorageAccount:
    """The three steps of storage accounting; each raises QuotaExceeded or returns."""

    check_room: Callable[[Account, int], None]  # refuse early, before any byte is stored
    charge: Callable[[Account, int], None]  # binding, in the caller's transaction
    release: Callable[[int, int], None]  # (owner_id, size), in the caller's transaction


def register_storage_account(app: Flask, account: StorageAccount) -> None:
    """Let the users domain count and limit the bytes each owner stores."""
    app.extensions[ACCOUNT_KEY] = account


def _account() -> StorageAccount | None:
    return current_app.extensions.get(ACCOUNT_KEY)


def check_room(*, owner: Account, size: int) -> None:
    """Refuse an upload that cannot fit, before its bytes are stored (not binding)."""
    if (account := _account()) is not None:
        account.check_room(owner, size)


def charge_storage(*, owner: Account, size: int) -> None:
    """Count `size` bytes against the owner in the caller's transaction, or raise 413."""
    if (account := _account()) is not None:
        account.charge(owner, size)


def release_storage(*, owner_id: int | None, size: int) -> None:
    """Give `size` bytes back to the owner in the caller's transaction."""
    if owner_id is not None and (account := _account()) is not None:
        account.release(owner_id, size)
