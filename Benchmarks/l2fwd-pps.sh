#!/usr/bin/env bash
# Packets per second of the shipped l2fwd on two net_ring ports (frames circulating in huge
# page buffers, no I/O), bare and under maptrace, and the ratio. maptrace stops the process
# only at memory calls, and l2fwd's forwarding loop makes none, so the ratio should be near 1.
# Not a test: run it by hand, as root (it reserves huge pages and mounts a hugetlbfs, and puts
# both back on exit).
#
#   Benchmarks/l2fwd-pps.sh [--bare-only]
#   RUNS=5 DURATION=5 SCRATCH=.build-mine Benchmarks/l2fwd-pps.sh
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}          # runs of each kind; the median is reported
DURATION=${DURATION:-5}  # seconds per run
PAGES=16                 # 2 MB pages: -m 32
BARE_ONLY=0
[ "${1:-}" = "--bare-only" ] && BARE_ONLY=1
[ "$(id -u)" = 0 ] || { echo "l2fwd-pps: run as root (huge pages, mount)" >&2; exit 1; }

build=(swift build -c release --static-swift-stdlib)  # as `make build` (Benchmarks/run.sh): one release tree
[ -n "${SCRATCH:-}" ] && build+=(--scratch-path "$SCRATCH")
"${build[@]}" --product l2fwd >/dev/null
[ "$BARE_ONLY" = 1 ] || "${build[@]}" --product maptrace >/dev/null
BIN=$("${build[@]}" --show-bin-path 2>/dev/null)

# A pool and a mount of our own, restored and removed whatever happens.
POOL=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
OLD_PAGES=$(cat "$POOL")
MOUNT=$(mktemp -d /tmp/l2fwd-pps.XXXXXX)
cleanup() {
    if mountpoint -q "$MOUNT"; then
        rm -f "$MOUNT"/*  # a page file left by a killed run would keep its page
        umount "$MOUNT" || echo "l2fwd-pps: cannot unmount $MOUNT" >&2
    fi
    rmdir "$MOUNT" 2>/dev/null || true
    echo "$OLD_PAGES" > "$POOL"
}
trap cleanup EXIT
echo $((OLD_PAGES + PAGES)) > "$POOL"
mount -t hugetlbfs -o pagesize=2M nodev "$MOUNT"

L2FWD=("$BIN/l2fwd" --huge-dir "$MOUNT" -m $((PAGES * 2)) --mem-mode on-demand
       --vdev net_ring0 --vdev net_ring1 -- -p 0x3 -T 0 --duration "$DURATION")

pps() {  # command…: one run's packets per second, from l2fwd's closing line
    local out
    out=$("$@" 2>&1) || { echo "l2fwd-pps: failed: $*" >&2; echo "$out" >&2; return 1; }
    sed -n 's/^L2FWD: forwarded .*: \([0-9]*\) packets\/s$/\1/p' <<<"$out"
}

median() {  # numbers…
    printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

echo "l2fwd on 2 net_ring ports, $DURATION s per run, $RUNS runs each, $(nproc) cores" >&2
# bare and traced runs alternate, so that a drift of the machine falls on both alike
bare=() traced=()
for _ in $(seq "$RUNS"); do
    rate=$(pps "${L2FWD[@]}"); [ -n "$rate" ] || { echo "l2fwd-pps: no packets/s line (bare)" >&2; exit 1; }
    bare+=("$rate")
    [ "$BARE_ONLY" = 1 ] && continue
    rate=$(pps "$BIN/maptrace" -q -- "${L2FWD[@]}"); [ -n "$rate" ] || { echo "l2fwd-pps: no packets/s line (maptrace)" >&2; exit 1; }
    traced+=("$rate")
done
BARE=$(median "${bare[@]}")
echo "bare: ${bare[*]} packets/s → median $BARE" >&2
printf 'bare      %12d packets/s\n' "$BARE"
[ "$BARE_ONLY" = 1 ] && exit 0
TRACED=$(median "${traced[@]}")
echo "maptrace: ${traced[*]} packets/s → median $TRACED" >&2
printf 'maptrace  %12d packets/s\n' "$TRACED"
awk -v t="$TRACED" -v b="$BARE" 'BEGIN { printf "ratio     %12.3f (maptrace / bare)\n", t / b }'
