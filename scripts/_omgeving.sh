# Shared by opzetten.sh and test.sh: Debian packages only when missing, then the venv.
# Usage: source scripts/_omgeving.sh "<debian packages>" "<pip extras>"
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BUURTBUDGET_VENV:-$ROOT/.venv}"
export BEANCOUNT_DISABLE_LOAD_CACHE=1

need_debian() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo ">> Debian-pakketten installeren: ${missing[*]}"
        local sudo=""
        [ "$(id -u)" -ne 0 ] && sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

need_venv() {
    local extras="$1"
    if ! python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
        echo "fout: Python 3.11 of nieuwer is nodig (gevonden: $(python3 --version 2>&1))" >&2
        exit 2
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        echo ">> virtuele omgeving aanmaken in $VENV"
        python3 -m venv "$VENV" 2>/dev/null || { need_debian python3-venv; python3 -m venv "$VENV"; }
    fi
    local stamp="$VENV/.buurtbudget-$(cat "$ROOT/requirements.lock" "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)$extras"
    if [ ! -f "$stamp" ]; then
        echo ">> Python-pakketten installeren (requirements.lock)"
        "$VENV/bin/python" -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
        "$VENV/bin/python" -m pip install -q -r "$ROOT/requirements.lock" 2>&1 | grep -v "^WARNING: Location" || true
        "$VENV/bin/python" -m pip install -q --no-deps -e "$ROOT" 2>&1 | grep -v "^WARNING: Location" || true
        "$VENV/bin/python" -c "import beancount, fava, weasyprint, buurtbudget_admin" \
            || { echo "fout: de Python-pakketten zijn niet volledig geïnstalleerd" >&2; exit 2; }
        touch "$stamp"
    fi
    # Our own code is installed editable: compile it once, as pip does for every other package,
    # so that no command (and no bean-check with the rules plugin) compiles it again at start-up.
    # A file changed later is recompiled by Python itself; stale bytecode is never used.
    "$VENV/bin/python" -m compileall -q -j 0 "$ROOT/ledger" "$ROOT/rules" "$ROOT/reports" "$ROOT/buurtbudget_admin" \
        >/dev/null || true
}
