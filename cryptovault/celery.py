"""The Celery application, "cryptovault": the task queue when ``TASK_QUEUE=celery``.

Its settings are Django's ``CELERY_*`` ones (cryptovault/settings_tasks.py); its tasks
are the apps' ``tasks`` modules (found by autodiscovery) and the core's job runner
(``cryptovault.tasks``). The worker ``make prod`` runs, with the periodic jobs:

    .venv/bin/celery -A cryptovault worker --beat --loglevel=info --concurrency=2

Services never use Celery directly: they queue jobs with ``cryptovault.tasks.task_enqueue``,
which sends them here or runs them in process, as ``TASK_QUEUE`` says.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cryptovault.settings")

app = Celery("cryptovault")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
