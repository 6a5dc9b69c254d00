#!/usr/bin/env bash
# Installs the Debian packages listed in tools/setup/apt-packages.txt that are
# missing. Needs root; without it, prints what is missing and goes on (the
# tests that need a package skip with a reason).
set -euo pipefail
cd "$(dirname "$0")"
mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' apt-packages.txt | grep -v '^$' | sort -u)
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { echo "debian-deps: all ${#wanted[@]} packages present"; exit 0; }
if [ "$(id -u)" -ne 0 ]; then
  echo "debian-deps: not root; missing: ${missing[*]}" >&2
  exit 0
fi
echo "debian-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "debian-deps: installed ${#missing[@]} packages"
