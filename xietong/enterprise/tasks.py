"""Background jobs of the enterprise app (huey): large imports."""

from __future__ import annotations

import logging

from django.utils import timezone
from huey.contrib.djhuey import db_task

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
