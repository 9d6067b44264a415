# Sourced by scripts/run and scripts/test: make .venv with Python 3.11 and install pinned requirements.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON_BIN="${PYTHON_BIN:-$(command -v python3.11 || command -v python3)}"
if ! "$PYTHON_BIN" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "dealership needs Python 3.11 (found $("$PYTHON_BIN" --version)). Set PYTHON_BIN." >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PYTHON_BIN" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$1"
