#!/usr/bin/env bash
# The whole test suite, with what the tests need installed first.
source "$(dirname "$0")/_omgeving.sh"
need_debian libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils chromium
need_venv ""
cd "$ROOT"
# axe-core (package.json) for the accessibility checks of the browser tests.
if [ ! -f node_modules/axe-core/axe.min.js ]; then
    command -v npm >/dev/null || need_debian npm
    npm ci --no-audit --no-fund --silent
fi
exec "$VENV/bin/python" -m pytest -n "${BUURTBUDGET_TEST_WORKERS:-2}" -q "$@"
