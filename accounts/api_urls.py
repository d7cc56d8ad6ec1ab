"""Account API routes (under /api/)."""

from django.urls import path

from accounts import api

urlpatterns = [
    path("auth/signup", api.SignupApi.as_view(), name="api-signup"),
    path("auth/verify-email", api.VerifyEmailApi.as_view(), name="api-verify-email"),
    path(
        "auth/resend-verification",
        api.ResendVerificationApi.as_view(),
        name="api-resend-verification",
    ),
    path("auth/login", api.LoginApi.as_view(), name="api-login"),
    path("auth/token/refresh", api.TokenRefreshApi.as_view(), name="api-token-refresh"),
    path("auth/logout", api.LogoutApi.as_view(), name="api-logout"),
    path("auth/me", api.MeApi.as_view(), name="api-me"),
    path("auth/forgot-password", api.ForgotPasswordApi.as_view(), name="api-forgot-password"),
    path(
        "auth/validate-reset-token/<str:token>",
        api.ValidateResetTokenApi.as_view(),
        name="api-validate-reset-token",
    ),
    path("auth/reset-password", api.ResetPasswordApi.as_view(), name="api-reset-password"),
]
