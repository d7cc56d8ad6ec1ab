"""OpenAPI schema generation tuned to our code's shape."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


class AutoSchema(SpectacularAutoSchema):
    """Names nested serializers after their view: SignupApi.InputSerializer is SignupApiInput.

    Every API view holds its own ``InputSerializer`` / ``OutputSerializer`` (STYLE.md),
    so the class name alone would give every view's input the same component name.
    """

    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        qualname: str = serializer.__class__.__qualname__
        if "." in qualname:
            return qualname.replace(".", "")
        return super().get_serializer_name(serializer, direction)
