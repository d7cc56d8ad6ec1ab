"""Account services: the only place account state changes. Pages and API both call these.

Each public function is one transaction; emails leave after it commits. Errors are
``DomainError`` with a stable code, which the API turns into JSON and pages into
form errors. Cut by job:

- ``registration``: sign-up, email verification, the profile;
- ``login``: every door's login and the lockout they share;
- ``passwords``: reset by email, change, and ending sessions when a password is set.
"""

from accounts.services.login import (
    LOGIN_LOCKOUT_FAILURES,
    LOGIN_LOCKOUT_SECONDS,
    login_failure_record,
    login_lockout_check,
    staff_login,
    user_login,
)
from accounts.services.passwords import (
    password_change,
    password_reset_complete,
    password_reset_issue,
    password_reset_request,
    password_reset_token_check,
)
from accounts.services.registration import (
    CODE_MAX_ATTEMPTS,
    email_normalize,
    user_email_verified,
    user_signup,
    user_update_profile,
    user_verify_by_code,
    user_verify_by_token,
    verification_reissue,
    verification_resend,
)

__all__ = [
    "CODE_MAX_ATTEMPTS",
    "LOGIN_LOCKOUT_FAILURES",
    "LOGIN_LOCKOUT_SECONDS",
    "email_normalize",
    "login_failure_record",
    "login_lockout_check",
    "password_change",
    "password_reset_complete",
    "password_reset_issue",
    "password_reset_request",
    "password_reset_token_check",
    "staff_login",
    "user_email_verified",
    "user_login",
    "user_signup",
    "user_update_profile",
    "user_verify_by_code",
    "user_verify_by_token",
    "verification_reissue",
    "verification_resend",
]
