#!/usr/bin/env bash
# Installs every Debian package Kefu builds, runs and tests with. Idempotent: it does nothing when all
# are present. Runs as root, or through sudo.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config python3 curl procps
  clang libclang-rt-14-dev clang-format clang-tidy
  libssl-dev libboost-dev libboost-system-dev
  libsqlite3-dev libsqlitecpp-dev libpqxx-dev postgresql
  nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev
  libsodium-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev wrk
  libsrtp2-dev libopus-dev libspandsp-dev libspeexdsp-dev libsndfile1-dev openssl
  libespeak-ng-dev espeak-ng-data libpocketsphinx-dev pocketsphinx-en-us flite1-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  libnats-dev nats-server
  chromium nodejs fonts-wqy-microhei
  libsofia-sip-ua-dev baresip-core sip-tester sox sipsak kamailio
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Debian's nodejs has no npm inside; a NodeSource nodejs (as on these machines) has it.
if ! command -v npm >/dev/null; then
  missing+=(npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "deps: installing ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The browser tests' npm packages (playwright-core drives Debian's Chromium), from the lock file.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
browser="$root/tests/browser"
if [ ! -d "$browser/node_modules" ] || [ "$browser/package-lock.json" -nt "$browser/node_modules" ]; then
  echo "deps: npm ci in tests/browser"
  (cd "$browser" && npm ci --no-audit --no-fund --loglevel=error >/dev/null && touch node_modules)
fi
# The web app's npm packages (React, Vite, ECharts, Vitest), from its lock file.
web="$root/web"
if [ ! -d "$web/node_modules" ] || [ "$web/package-lock.json" -nt "$web/node_modules" ]; then
  echo "deps: npm ci in web"
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error >/dev/null && touch node_modules)
fi
