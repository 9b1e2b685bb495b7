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

from .models import Task


def version_of(obj: Model) -> str:
    """A short digest of the object as its edit form shows it: every stored value of the
    row, or, for a model in ``EDITED``, the values (its own and its related rows') that
    its edit form changes."""
    edited = EDITED.get(type(obj))
    if edited is not None:
        values = edited(obj)
    else:
        values = [(f.attname, f.value_to_string(obj)) for f in obj._meta.concrete_fields]
    digest = hashlib.sha256(json.dumps(values, ensure_ascii=False, default=str).encode("utf-8"))
    return digest.hexdigest()[:16]


TASK_FIELDS = (
    "code",
    "title",
    "content",
    "area",
    "kind",
    "start_date",
    "responsible_id",
    "priority",
    "cadence",
    "key_task_id",
)


def task_values(task) -> list:
    """What the task edit form (and the API's task update) changes: the task's own fields
    and its units, working group, milestones and targets. Not the workflow's fields (stage,
    percent, light, deadline): a report accepted or an extension approved meanwhile does
    not make an edit of the task list conflict."""
    # .all(): a list that prefetched these (the API's) adds no query.
    units = sorted((tu.unit_id, tu.role) for tu in task.task_units.all())
    group = sorted(person.pk for person in task.working_group.all())
    milestones = sorted((m.title, m.due_date.isoformat()) for m in task.milestones.all())
    targets = sorted(
        (t.name, f"{t.target_value.normalize():f}", t.measure) for t in task.targets.all()
    )
    own = [(name, getattr(task, name)) for name in TASK_FIELDS]
    return [own, units, group, milestones, targets]


# Models whose version covers what their edit form changes (see ``version_of``).
EDITED = {Task: task_values}


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
