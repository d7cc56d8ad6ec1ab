"""Project-wide pytest setup.

Browser tests (tests/e2e) run in their own pytest invocation (`make test` does
both): the sync Playwright API runs an event loop that would break async tests
collected after it. They are collected only when CRYPTOVAULT_E2E=1.
"""

import os

collect_ignore = [] if os.environ.get("CRYPTOVAULT_E2E") == "1" else ["tests/e2e"]
