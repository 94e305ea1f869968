#!/usr/bin/env bash
# Packets per second of the shipped l2fwd on two net_ring ports (frames circulating in huge
# page buffers, no I/O), bare and under maptrace, and the ratio. maptrace stops the process
# only at memory calls, and l2fwd's forwarding loop makes none, so the ratio should be near 1.
# One forwarding core serves both ports (-l 0 -q 2): with a core per port, every frame crosses
# between the two CPUs, and on a VM that rate follows where the host puts the virtual CPUs
# (45 or 95 Mpps from one run to the next, threads pinned or not, with or without ASLR), not
# the program; one core gives 317-351 Mpps, run after run.
# Not a test: run it by hand, as root (it reserves huge pages and mounts a hugetlbfs, and puts
# both back on exit).
#
#   Benchmarks/l2fwd-pps.sh [--bare-only]
#   RUNS=5 DURATION=5 SCRATCH=.build-mine Benchmarks/l2fwd-pps.sh
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}          # runs of each kind; the median is reported
DURATION=${DURATION:-5}  # seconds per run (at least 3)
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
WORK_OUT=$(mktemp)
cleanup() {
    rm -f "$WORK_OUT"
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
       -l 0 --vdev net_ring0 --vdev net_ring1 -- -p 0x3 -q 2 -T 0 --duration "$DURATION")

rate_line() {  # l2fwd's output on stdin: the packets per second of its closing line
    sed -n 's/^L2FWD: forwarded .*: \([0-9]*\) packets\/s$/\1/p'
}

pps() {  # command…: one run's packets per second
    local out
    out=$("$@" 2>&1) || { echo "l2fwd-pps: failed: $*" >&2; echo "$out" >&2; return 1; }
    rate_line <<<"$out"
}

# maptrace's own CPU time and wake-ups (every thread of it, /proc/…/task/*/schedstat) over the
# middle of a traced run, when l2fwd only forwards: a bound on what the tracer can take from
# the forwarding cores, steadier than the rate itself (which varies by a few % between bare runs).
TRACER_CPU=()
schedstat() {  # pid: "nanoseconds on a CPU, times scheduled", summed over its threads
    cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{r += $1; n += $3} END {print r + 0, n + 0}'
}
traced_pps() {  # sets RATE and appends to TRACER_CPU (no subshell: it must keep both)
    local out=$WORK_OUT pid a b
    "$BIN/maptrace" -q -- "${L2FWD[@]}" >"$out" 2>&1 &
    pid=$!
    sleep 1
    a=$(schedstat "$pid"); sleep $((DURATION - 2)); b=$(schedstat "$pid")
    wait "$pid" || { echo "l2fwd-pps: failed under maptrace" >&2; cat "$out" >&2; exit 1; }
    TRACER_CPU+=("$(awk -v a="$a" -v b="$b" -v s=$((DURATION - 2)) 'BEGIN {
        split(a, x, " "); split(b, y, " ")
        printf "%.2f ms %d", (y[1] - x[1]) / 1e6 / s, (y[2] - x[2]) / s }')")
    RATE=$(rate_line <"$out")
}

median() {  # numbers…
    printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

echo "l2fwd, one core on 2 net_ring ports, $DURATION s per run, $RUNS runs each, $(nproc) cores" >&2
# bare and traced runs alternate, so that a drift of the machine falls on both alike
bare=() traced=()
for _ in $(seq "$RUNS"); do
    rate=$(pps "${L2FWD[@]}"); [ -n "$rate" ] || { echo "l2fwd-pps: no packets/s line (bare)" >&2; exit 1; }
    bare+=("$rate")
    [ "$BARE_ONLY" = 1 ] && continue
    traced_pps; rate=$RATE; [ -n "$rate" ] || { echo "l2fwd-pps: no packets/s line (maptrace)" >&2; exit 1; }
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
# per second of forwarding, each traced run: CPU time and wake-ups of maptrace
echo "maptrace while l2fwd forwards, per second: ${TRACER_CPU[*]/%/ wake-ups;}" >&2
printf '%s\n' "${TRACER_CPU[@]}" | awk '{ms += $1; n += $3} END {
    printf "tracer    %12.2f ms of CPU and %d wake-ups per second of forwarding (mean of %d runs)\n", ms / NR, n / NR, NR }'
