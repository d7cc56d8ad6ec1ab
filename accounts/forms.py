"""Account page forms: input shape only; the rules live in accounts.services."""

from django import forms


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
