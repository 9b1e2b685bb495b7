"""Keep the matching index fresh: a saved or deleted enterprise, product, technology or
posting enqueues ``tasks.update_index`` after commit. Main products change with their
enterprise (the profile review and the edit form save it), so they need no receiver of
their own — and a receiver on them would slow the import's bulk deletes (Django gives up
its fast delete for a model with delete receivers). Bulk imports enqueue a rebuild of the
pair (``imports.reindex_later``)."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from .models import Enterprise, Posting, Product, Technology


def _enqueue(kind: str, pk: int | None, pair_id: int | None) -> None:
    if not pk or not pair_id:
        return

    def run():
        from . import tasks

        tasks.update_index(kind, pk, pair_id)

    transaction.on_commit(run)


def _enterprise_changed(sender, instance, **kwargs):
    _enqueue("enterprise", instance.pk, instance.partnership_id)


def _part_changed(sender, instance, **kwargs):
    ent_id = getattr(instance, "enterprise_id", None)
    if not ent_id:
        return
    pair_id = getattr(instance, "partnership_id", None)
    if pair_id is None:
        pair_id = (
            Enterprise.objects.filter(pk=ent_id).values_list("partnership_id", flat=True).first()
        )
    _enqueue("enterprise", ent_id, pair_id)


def _posting_changed(sender, instance, **kwargs):
    _enqueue("posting", instance.pk, instance.partnership_id)


for signal in (post_save, post_delete):
    signal.connect(_enterprise_changed, sender=Enterprise, dispatch_uid=f"ix-ent-{signal}")
    signal.connect(_posting_changed, sender=Posting, dispatch_uid=f"ix-post-{signal}")
    for model in (Product, Technology):
        signal.connect(_part_changed, sender=model, dispatch_uid=f"ix-{model.__name__}-{signal}")
