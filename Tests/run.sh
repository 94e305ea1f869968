#!/usr/bin/env bash
# The whole suite on a fresh Debian machine, as root: install what the build and the tests need,
# build everything, run every test. Tests that change a global setting restore it themselves.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libseccomp-dev libpcap-dev libunwind-dev pkg-config strace tshark iproute2 groff-base time libdpdk-dev gcc python3-jsonschema)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi

swift build --build-tests
# --no-parallel: integration tests change global settings (vm.max_map_count, huge page pools,
# mounts) and must not overlap.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
swift test --skip-build --no-parallel 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One plain closing line: Swift Testing's count (XCTest, unused here, reports 0).
passed=$(grep -c '^✔ Test "' "$log" || true)
failed=$(grep -c '^✘ Test "' "$log" || true)
echo "tests: $passed passed, $failed failed"
exit "$status"
