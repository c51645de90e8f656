#!/usr/bin/env bash
# Make sure the browser tests (tests/browser/) have a Chromium to drive, before make test
# spends minutes on the rest: `make chromium`, a prerequisite of `make test` and `make unit`.
#
# * ORDERKIT_CHROMIUM set: that file must run; nothing is installed.
# * /usr/bin/chromium runs: nothing to do.
# * Otherwise, on Debian (or a derivative that packages a real `chromium`), as root or with
#   password-less sudo: `apt-get update` and `apt-get install -y chromium` (~480 MB).
# * Otherwise stop at once and print the one command to run.
#
# Never `playwright install`: it downloads a browser build from a CDN that many networks
# (this kit's CI among them) refuse, and the tests launch the system's Chromium anyway.
# Ubuntu has no such package: its `chromium-browser` is a stub that installs the snap.
set -euo pipefail

# Where apt-get puts it (and where the tests look without ORDERKIT_CHROMIUM). The tests of
# this script move it with ENSURE_CHROMIUM_DEFAULT to try each branch on any machine.
DEFAULT="${ENSURE_CHROMIUM_DEFAULT:-/usr/bin/chromium}"
CHROMIUM="${ORDERKIT_CHROMIUM:-$DEFAULT}"

works() { [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }
version() { "$1" --version 2>/dev/null; }  # Debian's wrapper script warns on stderr
fail() { printf 'make chromium: %s\n' "$@" >&2; exit 1; }

if works "$CHROMIUM"; then
    echo "chromium: $(version "$CHROMIUM")"
    exit 0
fi
if [ -n "${ORDERKIT_CHROMIUM:-}" ]; then
    fail "ORDERKIT_CHROMIUM=$ORDERKIT_CHROMIUM does not run (\`$ORDERKIT_CHROMIUM --version\` failed)." \
        "Point it at a working Chromium or Chrome, or unset it to use $DEFAULT."
fi
if ! command -v apt-get >/dev/null 2>&1; then
    fail "no Chromium at $DEFAULT and no apt-get to install one." \
        "Install Chromium with your system's package manager, then run:" \
        "  export ORDERKIT_CHROMIUM=/path/to/chromium"
fi

# Debian's package is `chromium`. Ubuntu's archive has only `chromium-browser`, a
# transitional package whose install script runs `snap install chromium`.
snap_only() {
    ! apt-cache show --no-all-versions chromium >/dev/null 2>&1 &&
        apt-cache show --no-all-versions chromium-browser 2>/dev/null | grep -qi snap
}
snap_stop() {
    fail "this system packages Chromium only as a snap (\`chromium-browser\` is a stub that" \
        "installs it); the tests launch a plain executable. Run:" \
        "  sudo snap install chromium && export ORDERKIT_CHROMIUM=/snap/bin/chromium" \
        "(not tried by the kit's CI), or install Google Chrome's .deb and" \
        "  export ORDERKIT_CHROMIUM=/usr/bin/google-chrome"
}

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    snap_only && snap_stop
    fail "the browser tests need Chromium, which is not installed. Run:" \
        "  sudo apt-get update && sudo apt-get install -y chromium" \
        "then make test again (or set ORDERKIT_CHROMIUM=/path/to/chromium)."
fi

echo "chromium: not found, installing it with apt-get (about 480 MB)"
export DEBIAN_FRONTEND=noninteractive
${SUDO[@]+"${SUDO[@]}"} apt-get update -qq
snap_only && snap_stop
${SUDO[@]+"${SUDO[@]}"} apt-get install -y -qq chromium >/dev/null
works "$DEFAULT" || fail "apt-get installed chromium, but $DEFAULT does not run."
echo "chromium: $(version "$DEFAULT")"
