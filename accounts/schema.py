"""OpenAPI: our JWT authentication is documented as SimpleJWT's bearer scheme."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class RevocableJWTScheme(SimpleJWTScheme):
    target_class = "accounts.authentication.RevocableJWTAuthentication"
