"""Account page forms: input shape only; the rules live in accounts.services."""

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from accounts import services
from cryptovault.errors import DomainError


class SignupForm(forms.Form):
    name = forms.CharField(
        max_length=150, required=False, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        strip=False,
        max_length=1024,
        help_text="At least 12 characters. A long phrase is best.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "minlength": 12}),
    )


class VerifyCodeForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    code = forms.RegexField(
        regex=r"^\s*\d{6}\s*$",
        label="6-digit code",
        error_messages={"invalid": "Enter the 6 digits from the email."},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6}
        ),
    )


class EmailForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class LoginForm(forms.Form):
    email = forms.EmailField(
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    password = forms.CharField(
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class SetPasswordForm(forms.Form):
    password = forms.CharField(
        label="New password",
        strip=False,
        max_length=1024,
        help_text="At least 12 characters. A long phrase is best.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "minlength": 12}),
    )


class ProfileForm(forms.Form):
    name = forms.CharField(
        max_length=150, required=False, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        strip=False,
        max_length=1024,
        help_text="At least 12 characters. A long phrase is best.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "minlength": 12}),
    )


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's login form (``admin.site.login_form``): one more door to the accounts
    service, ``services.staff_login``, instead of Django's bare ``authenticate()``.

    Why the accounts service and not django-axes: SPEC §6 wants every door that starts a
    session (password page, API, admin, wallet) to share ONE per-account lockout, ONE
    rate limit and ONE audit trail. The service already holds them: the lockout counter
    lives in the shared ``ratelimit`` cache (Redis in production), the audit trail in
    ``AuditEvent``. django-axes would bring a second lockout store (its own AccessAttempt
    tables or cache), a second log of failures and its own authentication backend and
    middleware that every other door would then have to be wired through; the two
    would disagree on counts, windows and reset rules, and a failure at one door would
    not lock the others. Routing the admin through the service costs this form and one
    rate-limited URL (``accounts.views.admin_login``), and keeps Django's admin view with
    its CSRF protection, ``never_cache`` and ``sensitive_post_parameters``.

    Messages are for operators: a locked account is told to try again in 15 minutes; an
    unverified staff account is told to verify its email; a wrong password, an unknown
    address and a non-staff account all get the admin's usual "correct email and
    password for a staff account" error (no hint which it was).
    """

    def clean(self) -> dict[str, Any]:
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email is not None and password:
            try:
                self.user_cache = services.staff_login(email=email, password=password)
            except DomainError as error:
                if error.code == "invalid_credentials":
                    raise self.get_invalid_login_error() from None
                raise ValidationError(error.message, code=error.code) from None
        return self.cleaned_data
