"""Account pages: thin views over accounts.services; errors shown next to their field."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import ListView

from accounts import forms, services
from accounts.models import SentEmail, User
from accounts.ratelimits import limit, limit_method
from accounts.sessions import session_login
from cryptovault.errors import DomainError
from cryptovault.form_views import ServiceFormView
from cryptovault.redirects import safe_next_url

AFTER_LOGIN = reverse_lazy("markets:list")
# The address a finished password reset offers to the login form, kept in this
# browser's session rather than in a URL (where history, logs and Referer would see it).
LOGIN_EMAIL = "login_email"


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class SignupView(ServiceFormView):
    template_name = "accounts/signup.html"
    form_class = forms.SignupForm

    @limit_method("signup")
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return super().post(request, *args, **kwargs)

    def perform(self, form: forms.SignupForm) -> HttpResponse:
        services.user_signup(**form.cleaned_data)
        self.request.session["verify_email"] = services.email_normalize(form.cleaned_data["email"])
        messages.success(self.request, "Check your email: we sent you a 6-digit code.")
        return redirect("accounts:verify")


class VerifyCodeView(ServiceFormView):
    template_name = "accounts/verify.html"
    form_class = forms.VerifyCodeForm

    def get_initial(self) -> dict[str, Any]:
        return {
            "email": self.request.GET.get("email") or self.request.session.get("verify_email", "")
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            resend_form=forms.EmailForm(initial=self.get_initial()), **kwargs
        )

    @limit_method("verify")
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return super().post(request, *args, **kwargs)

    def perform(self, form: forms.VerifyCodeForm) -> HttpResponse:
        user = services.user_verify_by_code(**form.cleaned_data)
        return _logged_in(self.request, user, "Your email is verified. Welcome to CryptoVault!")


class VerifyLinkView(View):
    """The emailed link: a GET shows a button, the POST verifies.

    Mail scanners open links with GET; verifying on GET would let them spend the
    single-use link before the person does.
    """

    template_name = "accounts/verify_link.html"

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        return render(request, self.template_name, {"token": token})

    @limit_method("verify")
    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            user = services.user_verify_by_token(token=token)
        except DomainError as error:
            return render(
                request, self.template_name, {"token": token, "error": error.message}, status=400
            )
        return _logged_in(request, user, "Your email is verified. Welcome to CryptoVault!")


class ResendVerificationView(View):
    @limit_method("resend")
    def post(self, request: HttpRequest) -> HttpResponse:
        form = forms.EmailForm(request.POST)
        if form.is_valid():
            services.verification_resend(email=form.cleaned_data["email"])
            request.session["verify_email"] = services.email_normalize(form.cleaned_data["email"])
        messages.info(
            request, "If this address is waiting for verification, a new code is on its way."
        )
        return redirect("accounts:verify")


def _logged_in(request: HttpRequest, user: User, message: str) -> HttpResponse:
    session_login(request, user)
    messages.success(request, message)
    return HttpResponseRedirect(AFTER_LOGIN)


@method_decorator([sensitive_post_parameters("password"), never_cache], name="dispatch")
class LoginView(ServiceFormView):
    template_name = "accounts/login.html"
    form_class = forms.LoginForm

    def get_success_url(self) -> str:
        return safe_next_url(self.request, default=str(AFTER_LOGIN))

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            return HttpResponseRedirect(self.get_success_url())
        return super().get(request, *args, **kwargs)

    def get_initial(self) -> dict[str, Any]:
        """The email pre-filled after a password reset (from the session), or from our own
        links' ``?email=`` when it is an address."""
        email = self.request.session.get(LOGIN_EMAIL) or self.request.GET.get("email", "")
        try:
            return {"email": forms.EmailForm.base_fields["email"].clean(email)} if email else {}
        except ValidationError:
            return {}

    def get_form(self, form_class: Any = None) -> forms.LoginForm:
        form = super().get_form(form_class)
        if not form.is_bound and form.initial.get("email"):
            # The address is there: the cursor goes where the typing starts.
            form.fields["email"].widget.attrs.pop("autofocus", None)
            form.fields["password"].widget.attrs["autofocus"] = True
        return form

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(next=self.get_success_url(), **kwargs)

    @limit_method("login")
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return super().post(request, *args, **kwargs)

    def perform(self, form: forms.LoginForm) -> HttpResponse:
        user = services.user_login(**form.cleaned_data)
        session_login(self.request, user)
        self.request.session.pop(LOGIN_EMAIL, None)
        return HttpResponseRedirect(self.get_success_url())

    def refused(self, form: forms.LoginForm, error: DomainError) -> HttpResponse:
        if error.code == "email_not_verified":
            # The verify page offers this address: one click from the code form.
            self.request.session["verify_email"] = services.email_normalize(
                form.cleaned_data["email"]
            )
            self.extra_context = {"unverified": True}
        return super().refused(form, error)


@limit("login")
def admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """The admin's login page with the login rate limit of every other door (per IP).

    Routed at /admin/login/ ahead of the admin's own URLs; Django's view does the rest
    (CSRF, never_cache, sensitive POST parameters), and its form
    (``accounts.forms.AdminLoginForm``) goes through the accounts service for the
    lockout and the audit trail.
    """
    return admin.site.login(request, extra_context)


# The admin's own password change, wrapped as the admin wraps it (logged-in staff only).
_admin_password_change = admin.site.admin_view(admin.site.password_change, cacheable=True)


@limit("password_change")
def admin_password_change(request: HttpRequest) -> HttpResponse:
    """The admin's own password change, under the password-change rate limit of the
    account page."""
    return _admin_password_change(request)


class ForgotPasswordView(ServiceFormView):
    template_name = "accounts/password_forgot.html"
    form_class = forms.EmailForm

    @limit_method("forgot")
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return super().post(request, *args, **kwargs)

    def perform(self, form: forms.EmailForm) -> HttpResponse:
        services.password_reset_request(email=form.cleaned_data["email"])
        return render(
            self.request,
            "accounts/password_forgot_sent.html",
            {"email": form.cleaned_data["email"]},
        )


@method_decorator([sensitive_post_parameters("password"), never_cache], name="dispatch")
class ResetPasswordView(ServiceFormView):
    template_name = "accounts/password_reset.html"
    form_class = forms.SetPasswordForm

    # The token is in this page's address. The site-wide Referrer-Policy
    # (same-origin) already keeps it from other sites; "no-referrer" would make the
    # browser send "Origin: null" with the form, which CSRF protection rightly refuses.

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            services.password_reset_token_check(token=kwargs["token"])
        except DomainError as error:
            return self.link_invalid(error)
        return super().get(request, *args, **kwargs)

    @limit_method("reset")
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return super().post(request, *args, **kwargs)

    def perform(self, form: forms.SetPasswordForm) -> HttpResponse:
        user = services.password_reset_complete(
            token=self.kwargs["token"], password=form.cleaned_data["password"]
        )
        self.request.session[LOGIN_EMAIL] = user.email  # the login form offers it
        messages.success(self.request, "Your password is changed. Log in with the new one.")
        return redirect("accounts:login")

    def refused(self, form: forms.SetPasswordForm, error: DomainError) -> HttpResponse:
        # A link spent or expired meanwhile: no password typed here can help.
        if error.field == "token":
            return self.link_invalid(error)
        return super().refused(form, error)

    def link_invalid(self, error: DomainError) -> HttpResponse:
        return render(
            self.request,
            "accounts/password_reset_invalid.html",
            {"error": error.message},
            status=400,
        )


@method_decorator(sensitive_post_parameters("current_password", "new_password"), name="dispatch")
class AccountView(LoginRequiredMixin, ServiceFormView):
    """The account page: profile, email status, password change.

    Two forms on one page, told apart by the button that sent them; the one sent is
    bound and checked, the other is shown fresh.
    """

    template_name = "accounts/account.html"
    error_fields = {"password": "new_password"}  # the password rules' field, here

    def changes_password(self) -> bool:
        return "change_password" in self.request.POST

    def get_form_class(self) -> type[forms.ProfileForm | forms.PasswordChangeForm]:
        return forms.PasswordChangeForm if self.changes_password() else forms.ProfileForm

    def get_initial(self) -> dict[str, Any]:
        return {"name": getattr(self.request.user, "name", "")}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # "form": the one sent, or the profile
        context["password_form" if self.changes_password() else "profile_form"] = context["form"]
        context.setdefault("profile_form", forms.ProfileForm(initial=self.get_initial()))
        context.setdefault("password_form", forms.PasswordChangeForm())
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.changes_password():
            return self.password_change_post(request, *args, **kwargs)
        return super().post(request, *args, **kwargs)

    @limit_method("password_change")
    def password_change_post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Limited per IP like a login: the current password can be guessed here too
        (the service adds the per-account lockout)."""
        return super().post(request, *args, **kwargs)

    def perform(self, form: forms.ProfileForm | forms.PasswordChangeForm) -> HttpResponse:
        user = self.request.user
        assert isinstance(user, User)
        if isinstance(form, forms.PasswordChangeForm):
            services.password_change(
                user=user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
            )
            update_session_auth_hash(self.request, user)  # this session stays; others end
            messages.success(
                self.request, "Your password is changed. Other sessions were signed out."
            )
        else:
            services.user_update_profile(user=user, name=form.cleaned_data["name"])
            messages.success(self.request, "Saved.")
        return redirect("accounts:account")


class DevOutboxView(ListView):
    """Every email sent in the console mode, for a local user without a mail server."""

    template_name = "accounts/dev_outbox.html"
    context_object_name = "emails"
    paginate_by = 50

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not settings.DEV_OUTBOX:
            raise Http404("The dev outbox exists only in DEBUG with EMAIL_SERVICE=console.")
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        return SentEmail.objects.exclude(body_text="")
