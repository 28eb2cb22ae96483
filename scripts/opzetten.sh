#!/usr/bin/env bash
# Everything set up, then the main job on the embedded demo workspace:
# write it, check every buurtbudget, and serve it (when the service is available).
source "$(dirname "$0")/_omgeving.sh"
need_debian libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
need_venv ""
BB="$VENV/bin/buurtbudget"
DEMO="${1:-$ROOT/demo-werkruimte}"
if [ ! -d "$DEMO" ]; then
    "$BB" demo "$DEMO"
else
    echo ">> demo-werkruimte staat er al: $DEMO"
fi
echo ">> controle van elk buurtbudget"
set +e
"$BB" check "$DEMO"/*/main.beancount
status=$?
set -e
if [ "$status" -eq 2 ]; then
    echo "fout: een ledger van de demo is niet te lezen" >&2
    exit 2
fi
echo ">> klaar: de demo-werkruimte staat in $DEMO (de-baarsjes-2025 bevat bewust fouten)"
if "$BB" serve --help >/dev/null 2>&1 && [ "${BUURTBUDGET_NIET_SERVEREN:-}" = "" ]; then
    exec "$BB" serve "$DEMO" --host "${BUURTBUDGET_HOST:-127.0.0.1}" --port "${BUURTBUDGET_PORT:-5000}"
fi
