"""Static files in production: whitenoise's compressed files under hashed names, the
page scripts' ES module imports included."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestModulesStorage(CompressedManifestStaticFilesStorage):
    """Rewrites ``import ... from "./lib/socket.js"`` to the hashed name too.

    Django leaves module imports as written unless asked: a hashed page script (cached
    for a year) would then load ``lib/socket.js`` under its plain name, which whitenoise
    caches for a minute only, so a page could run against the previous deploy's module.
    """

    support_js_module_import_aggregation = True
