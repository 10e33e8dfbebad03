#!/bin/sh
# Installs forksim's Debian packages when they are missing.
#
# The list lives in one place, tools/debian-packages.txt; later work extends it there.
# Run as root, a missing package is installed (after one `apt-get update`); run as anyone
# else, the build stops with one line naming the exact command to run.
set -eu
here=$(dirname "$0")
list="$here/debian-packages.txt"
missing=""
for pkg in $(grep -v '^#' "$list"); do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
        *" installed") ;;
        *) missing="$missing $pkg" ;;
    esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "forksim: missing Debian packages:$missing; run: sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi
echo "forksim: installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
