"""The Celery application; tasks are discovered in each app's tasks.py.

Worker and beat log through Django's LOGGING (text or JSON, with request ids) rather than
Celery's own set-up, and the signal hooks of `sparkloop.requestid` (request ids into tasks)
and `sparkloop.metrics` (task outcomes) are connected when the app is made.
"""

from __future__ import annotations

import logging.config
import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sparkloop.settings")

app = Celery("sparkloop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect(weak=False)
def _django_logging(**_: Any) -> None:
    # Connecting this signal stops Celery from configuring logging itself (LOG_LEVEL and
    # LOG_FORMAT rule, not the worker's --loglevel).
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
