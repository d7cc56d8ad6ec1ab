"""The accounts app's Celery tasks, found by the worker's autodiscovery.

The one job is the email delivery, declared where emails are made
(``accounts.emails.email_deliver``: retries, back-off, one record per email); imported
here so that a worker registers it without anything else of the app being loaded.
"""

from accounts.emails import email_deliver

__all__ = ["email_deliver"]
