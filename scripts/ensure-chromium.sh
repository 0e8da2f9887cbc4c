#!/bin/sh
# Chromium for `npm run test:browser`: nothing to do when it is on PATH; otherwise Debian's package, installed as root
# (CI) or through sudo without a password.
set -eu

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root="sudo -n"
else
  echo "ensure-chromium: chromium is not installed and installing it needs root: run 'apt-get install -y chromium' as root" >&2
  exit 1
fi

echo "ensure-chromium: installing Debian's chromium" >&2
$as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
command -v chromium >/dev/null 2>&1
