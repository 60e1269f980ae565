"""Static files: compressed and cache-busted by WhiteNoise, JS module imports included."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    # Rewrites `import … from "./dashboard/charts.js"` to the hashed names, so a deploy can
    # never pair a new dashboard.js with a cached old module.
    support_js_module_import_aggregation = True
