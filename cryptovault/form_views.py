"""Page forms that hand their input to a service: one way a refusal reaches the form.

A service says no with a ``DomainError`` (code, message, and sometimes the field it is
about). A page shows that message beside the field the form has by that name, or above
the form when it has none, and shows the form again with what was typed. Every page
form does it through :func:`form_error_from`, most through :class:`ServiceFormView`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django import forms
from django.http import HttpResponse
from django.views.generic import FormView

from cryptovault.errors import DomainError


def form_error_from(
    form: forms.BaseForm,
    error: DomainError,
    *,
    renames: Mapping[str, str] | None = None,
    message: str | None = None,
) -> None:
    """Put a service's refusal on ``form``: under its field when the form has it, else
    above the form.

    ``renames`` maps a service's field name to the form's where they differ (the
    password rules name ``password``; a change form calls it ``new_password``);
    ``message`` replaces the error's own words when a page has more to say.
    """
    field = error.field
    if field is not None and renames:
        field = renames.get(field, field)
    form.add_error(field if field in form.fields else None, message or error.message)


class ServiceFormView(FormView):
    """A page form whose valid input goes to one service.

    A subclass names its form and template and writes ``perform`` (call the service,
    answer with a redirect or a page); a ``DomainError`` raised there goes to
    ``refused``, which shows it on the form. Override ``refused`` for the refusals a
    page answers otherwise (a spent reset link gets its own page).
    """

    # The service's field name -> this form's, where they differ.
    error_fields: ClassVar[Mapping[str, str]] = {}

    def perform(self, form: Any) -> HttpResponse:
        raise NotImplementedError

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            return self.perform(form)
        except DomainError as error:
            return self.refused(form, error)

    def refused(self, form: Any, error: DomainError) -> HttpResponse:
        form_error_from(form, error, renames=self.error_fields)
        return self.form_invalid(form)
