"""Partner earnings: Celery tasks (thin: each calls a service; enqueued on commit)."""

from __future__ import annotations
