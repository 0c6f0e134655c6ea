"""Celery entry points of imports."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from subscribers.transfer.imports import RUN_TASK, subscriber_import_run, subscriber_import_sweep


@shared_task(name=RUN_TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def subscriber_import_run_task(import_id: int) -> str | None:
    """Run an import from its checkpoint for up to IMPORT_TASK_SECONDS, then hand over to a
    fresh task (the global time limits hold). Running it twice writes nothing twice."""
    outcome = subscriber_import_run(
        import_id=import_id, seconds=float(settings.IMPORT_TASK_SECONDS)
    )
    if outcome == "again":
        subscriber_import_run_task.delay(import_id)
    return outcome


@shared_task(ignore_result=True)
def subscriber_import_sweep_task() -> int:
    """Beat job: restart imports whose message was lost or whose worker died."""
    due = subscriber_import_sweep()
    for import_id in due:
        subscriber_import_run_task.delay(import_id)
    return len(due)
