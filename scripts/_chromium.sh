# Sourced by scripts/test: the browser tests (tests/browser.py) drive Debian's Chromium at
# /usr/bin/chromium. Installed here with apt-get when missing; Playwright's own browser download
# (`playwright install`) is never used.
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's chromium for the browser tests (apt-get)..." >&2
  _sudo=""
  [ "$(id -u)" -eq 0 ] || _sudo="sudo -n"
  _log="$(mktemp)"
  if ! { $_sudo apt-get update -qq \
         && DEBIAN_FRONTEND=noninteractive $_sudo apt-get install -y -qq chromium; } >"$_log" 2>&1 \
     || [ ! -x /usr/bin/chromium ]; then
    tail -n 20 "$_log" >&2
    echo "Could not install Debian's chromium (the browser tests need /usr/bin/chromium)." >&2
    echo "Install it as root: apt-get update && apt-get install -y chromium   (full log: $_log)" >&2
    exit 1
  fi
  rm -f "$_log"
fi
