# Sourced by scripts/run and scripts/test: make .venv with Python 3.12 and install pinned requirements.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

is_312() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' >/dev/null 2>&1; }

find_python() {
  local candidate version
  for candidate in "${PYTHON_BIN:-}" python3.12 python3; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 && is_312 "$candidate"; then
      command -v "$candidate"
      return
    fi
  done
  # pyenv keeps versions that are installed but not active (its shims then refuse to run them).
  if command -v pyenv >/dev/null 2>&1; then
    for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.12(\.|$)' | sort -V -r); do
      candidate="$(pyenv root)/versions/$version/bin/python3.12"
      if is_312 "$candidate"; then
        echo "$candidate"
        return
      fi
    done
  fi
  return 1
}

if [ -x .venv/bin/python ] && ! is_312 .venv/bin/python; then
  echo "Recreating .venv with Python 3.12 (it was made with $(.venv/bin/python --version 2>&1))." >&2
  rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
  if ! PYTHON_BIN="$(find_python)"; then
    echo "dealership needs Python 3.12: install it (e.g. 'pyenv install 3.12' or your OS's python3.12" >&2
    echo "package) or point PYTHON_BIN at a 3.12 interpreter." >&2
    exit 1
  fi
  "$PYTHON_BIN" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$1"
