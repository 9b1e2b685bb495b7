"""Background jobs of the enterprise app (huey): large imports, matching index updates,
the daily postings job (publish, remind, expire; follow-ups of matches)."""

from __future__ import annotations

import logging

from django.utils import timezone
from huey.contrib.djhuey import db_periodic_task, db_task

from xietong.conference.tasks import at_one_local
from xietong.core.xlsx_import import ImportRejected

from . import imports
from .models import ImportJob

log = logging.getLogger(__name__)


def execute(job_id: int) -> ImportJob:
    """Run one queued import. Safe to run twice: a job that has left the queue is skipped,
    and the import itself changes nothing when re-run on the same file."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.READING
    )
    job = ImportJob.objects.select_related("user", "partnership", "side").get(pk=job_id)
    if not claimed:
        return job

    def progress(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(rows_done=done, rows_total=max(total, done))

    try:
        result = imports.import_file(
            job.user, job.partnership, job.side, job.filename, bytes(job.data), progress
        )
    except ImportRejected as exc:
        job.status, job.problem = ImportJob.Status.REJECTED, str(exc)
    except Exception as exc:  # recorded on the job for the page; the log has the trace
        log.exception("enterprise import %s failed", job_id)
        job.status, job.problem = ImportJob.Status.FAILED, f"{type(exc).__name__}: {exc}"
    else:
        job.result = result.as_dict()
        job.status = ImportJob.Status.DONE if result.ok else ImportJob.Status.REJECTED
    job.data = None  # the upload is not kept once imported
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "problem", "result", "data", "finished_at"])
    return job


@db_task()  # djhuey closes the job's database connection afterwards
def run_import(job_id: int) -> None:
    execute(job_id)


@db_task()
def update_index(kind: str, pk: int, pair_id: int) -> None:
    """One enterprise or posting changed: update its pair's matching index."""
    from .suggestions import update_record

    update_record(kind, pk, pair_id)


@db_task()
def rebuild_index(pair_id: int) -> None:
    """Rebuild a pair's matching index (after a bulk import, which sends no signals)."""
    from xietong.core.models import Partnership

    from .suggestions import service

    pair = Partnership.objects.filter(pk=pair_id).first()
    if pair is not None:
        service.rebuild(pair)


def run_daily(today=None) -> dict[str, int]:
    """Postings (publish, remind, expire), the six-month follow-up of matches and the
    expiry of unanswered meeting requests of networking events."""
    from . import events, matches, postings

    done = postings.run_daily(today)
    done["follow_ups"] = matches.ask_follow_ups(today)
    done["meeting_requests_expired"] = events.expire_requests()
    return done


@db_periodic_task(at_one_local)
def daily_job() -> None:
    run_daily(timezone.localdate())
