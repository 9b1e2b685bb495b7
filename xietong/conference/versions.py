"""Optimistic concurrency: an edit is never silently written over someone else's.

An edit page (or an API client) gets the object's *version* with the object and sends it
back with the change. The version is a digest of the row's stored values, so it needs no
extra column and changes with any write, through any path (a page, the API, the admin, a
management command). The service function locks the row, recomputes the version and, when
it differs, refuses the change with ``EditConflict``: the page then keeps the person's input
and shows what is stored now; the API answers 409.
"""

from __future__ import annotations

import hashlib
import json

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.translation import gettext as _


def version_of(obj: Model) -> str:
    """A short digest of every stored value of the row (not of its related rows)."""
    values = [(f.attname, f.value_to_string(obj)) for f in obj._meta.concrete_fields]
    digest = hashlib.sha256(json.dumps(values, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()[:16]


class EditConflict(ValidationError):
    """The object was changed by someone else after the editor loaded it."""

    def __init__(self, current: Model):
        super().__init__(
            _(
                "%(object)s was changed by someone else after you opened it. Your input has "
                "been kept: compare it with the values saved now and save again to replace them."
            )
            % {"object": current},
            code="conflict",
        )
        self.current = current
        self.version = version_of(current)


def lock(obj: Model, version: str | None = None) -> Model:
    """The row of ``obj`` read again and locked for this transaction; EditConflict when
    ``version`` is given and the row no longer has it. Call inside ``transaction.atomic``."""
    current = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
    if version and version != version_of(current):
        raise EditConflict(current)
    return current
