from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.AccountView.as_view(), name="account"),
    path("signup/", views.SignupView.as_view(), name="signup"),
    path("verify/", views.VerifyCodeView.as_view(), name="verify"),
    path("verify/resend/", views.ResendVerificationView.as_view(), name="verify-resend"),
    path("verify/<str:token>/", views.VerifyLinkView.as_view(), name="verify-link"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/forgot/", views.ForgotPasswordView.as_view(), name="password-forgot"),
    path("password/reset/<str:token>/", views.ResetPasswordView.as_view(), name="password-reset"),
]
