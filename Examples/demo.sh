#!/usr/bin/env bash
# The classic failure, reproduced and explained: l2fwd maps every free 2 MiB huge page with one
# mmap each, as DPDK 16.04 did before it honoured -m 64, and runs into vm.max_map_count = 3096
# (the value VPP's sysctl file sets) at about the 3061st page. maptrace holds it at the failing
# call, reads the evidence and says which limit was hit and how to fix it.
#
# Run as root on a fresh Debian machine. Everything changed is put back on exit, even on failure:
# nr_hugepages, vm.max_map_count, the hugetlbfs mount.
set -euo pipefail
cd "$(dirname "$0")/.."

PAGES=${PAGES:-3200}        # huge pages to reserve (6.25 GiB)
LIMIT=${LIMIT:-3096}        # the lowered vm.max_map_count
OUT=${OUT:-/tmp/maptrace-demo}

[ "$(id -u)" = 0 ] || { echo "demo: run as root (it reserves huge pages and lowers vm.max_map_count)" >&2; exit 1; }

packages=(libseccomp-dev libpcap-dev libunwind-dev pkg-config)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi
swift build -c release --product maptrace >/dev/null
swift build -c release --product l2fwd >/dev/null
BIN=$(swift build -c release --show-bin-path)

pool=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
old_pages=$(cat "$pool")
old_limit=$(cat /proc/sys/vm/max_map_count)
mounted_here=""
restore() {
    rm -f /dev/hugepages/rtemap_* 2>/dev/null || true
    [ -n "$mounted_here" ] && umount /dev/hugepages 2>/dev/null || true
    echo "$old_limit" > /proc/sys/vm/max_map_count
    echo "$old_pages" > "$pool"
    echo "demo: restored vm.max_map_count=$(cat /proc/sys/vm/max_map_count), nr_hugepages=$(cat "$pool")"
}
trap restore EXIT

echo "$PAGES" > "$pool"
got=$(cat "$pool")
[ "$got" -ge "$PAGES" ] || echo "demo: the kernel gave $got huge pages of the $PAGES asked (memory fragmentation); going on with $got"
if ! grep -qs ' /dev/hugepages hugetlbfs ' /proc/mounts; then
    mkdir -p /dev/hugepages
    mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages
    mounted_here=1
fi
echo "$LIMIT" > /proc/sys/vm/max_map_count
echo "demo: $got free 2 MiB pages, vm.max_map_count=$LIMIT; running"
echo "  maptrace --log $OUT.jsonl -o $OUT.trace -- l2fwd -m 64 -- -p0x1"
echo

set +e
"$BIN/maptrace" --log "$OUT.jsonl" -o "$OUT.trace" -- "$BIN/l2fwd" -m 64 -- -p0x1
status=$?
set -e
echo
echo "demo: l2fwd ended with status $status; the last hugetlbfs calls of the trace ($OUT.trace):"
grep -E '^\[pid [0-9]+\] (openat|mmap)\(' "$OUT.trace" | tail -n 3
echo "demo: read the post-mortem log again with: $BIN/maptrace report $OUT.jsonl"
