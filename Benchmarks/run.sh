#!/usr/bin/env bash
# maptrace against the untraced run and the two strace a user would run, on the same workloads,
# in one run:
#   loop      100k anonymous mmap/munmap pairs (Benchmarks/mmapbench.c)
#   log       the same with --log on, and without it in the same rounds: what a record costs
#   threads   200 threads making 500 pairs each at once (Benchmarks/threadbench.c)
#   prefill   the loop in a process that already holds 60,000 mappings (the model stays O(log n))
#   dpdk      the real DPDK 22.11 l2fwd from Debian's packages, built from
#             /usr/share/dpdk/examples/l2fwd: EAL init with --legacy-mem on 1024 2 MiB pages,
#             then it exits (its -p 0x0 is refused after the EAL is up)
# and then the shipped l2fwd's forwarding rate, bare and traced (Benchmarks/l2fwd-pps.sh): one
# forwarding core on two ports, which a VM measures steadily.
#
# Peers on every row: `strace -f --seccomp-bpf` (the program keeps its CPU mask, as under
# maptrace by default) and `taskset -c 0 strace -f --seccomp-bpf` (everything on one CPU, as
# under `maptrace --pin-tracee --cpu 0`), tracing the same calls. The five commands of a row run
# in interleaved rounds (Benchmarks/interleaved.py), so that the load of a shared machine falls on
# all alike. Printed per row: the medians and the ratios of added time (traced minus untraced),
# with the goals:
#   maptrace                      <= 0.5 x strace -f --seccomp-bpf
#   maptrace --pin-tracee --cpu 0 <= 1.0 x taskset -c 0 strace -f --seccomp-bpf
#
# Root only: it reserves 1024 more 2 MiB pages and mounts a hugetlbfs, and puts both back on
# exit, whatever happens. It holds /tmp/maptrace-global.lock for the whole run, since other
# runs on the machine change the same settings. Medians of RUNS runs (default 5; DPDK_RUNS,
# default 30, for the short DPDK init, whose medians moved by ±0.1 in ratio between runs of
# 10 rounds on a shared VM; LOG_RUNS, default 12, for the log's cost a record, about 1 µs
# against ±0.5 µs of noise from one round to the next): on a shared machine, run it twice and
# compare.
#
#   Benchmarks/run.sh            RUNS=5 Benchmarks/run.sh            ROWS="loop dpdk" Benchmarks/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run.sh: run as root (huge pages, mount)" >&2; exit 1; }
if [ -z "${MAPTRACE_BENCH_LOCKED:-}" ]; then
    exec env MAPTRACE_BENCH_LOCKED=1 flock /tmp/maptrace-global.lock "$0" "$@"
fi
RUNS=${RUNS:-5}
DPDK_RUNS=${DPDK_RUNS:-30}
LOG_RUNS=${LOG_RUNS:-12}
ROWS=${ROWS:-"loop log threads prefill dpdk pps"}
packages=(libseccomp-dev libpcap-dev libunwind-dev pkg-config python3 strace dpdk libdpdk-dev dpdk-doc make)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# the binary users install: `make build`, Swift's libraries linked in (5 ms to start, not 14)
make -s build >/dev/null
BIN=$PWD/.build/package

# Scratch space, a page pool and a mount of our own, put back whatever happens.
WORK=$(mktemp -d)
POOL=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
OLD_PAGES=$(cat "$POOL")
MOUNT=$WORK/huge
cleanup() {
    if mountpoint -q "$MOUNT" 2>/dev/null; then
        rm -f "$MOUNT"/*  # a page file left by a killed run would keep its page
        umount "$MOUNT" || echo "run.sh: cannot unmount $MOUNT" >&2
    fi
    echo "$OLD_PAGES" > "$POOL" || echo "run.sh: cannot put nr_hugepages back to $OLD_PAGES" >&2
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cc -O2 -o "$WORK/mmapbench" Benchmarks/mmapbench.c
cc -O2 -pthread -o "$WORK/threadbench" Benchmarks/threadbench.c
CALLS=open,openat,openat2,creat,mmap,munmap,mremap,mprotect,brk,madvise,mlock,mlock2,mlockall,fallocate,ftruncate,memfd_create,shmget,shmat,shmdt,execve,execveat
MAPTRACE=("$BIN/maptrace" -q --no-status)
STRACE=(strace -f --seccomp-bpf -e "trace=$CALLS" -o /dev/null)

# One row: the untraced command and its four traced runs, interleaved round by round.
row() {  # name, maptrace options ("" for none), command…
    local name=$1 extra=$2; shift 2
    local cmd="$*" runs=$RUNS
    [ "$name" = dpdk ] && runs=$DPDK_RUNS  # a short run: more of them for a steady median
    [ "$name" = log ] && runs=$LOG_RUNS
    # the --log row's runs without the log sit right beside their runs with it
    python3 Benchmarks/interleaved.py "$name" "$runs" \
        "untraced=$cmd" \
        ${WITHOUT_LOG:+"maptrace-nolog=${MAPTRACE[*]} -- $cmd"} \
        "maptrace=${MAPTRACE[*]} $extra -- $cmd" \
        ${WITHOUT_LOG:+"maptrace-pinned-nolog=${MAPTRACE[*]} --pin-tracee --cpu 0 -- $cmd"} \
        "maptrace-pinned=${MAPTRACE[*]} $extra --pin-tracee --cpu 0 -- $cmd" \
        "strace=${STRACE[*]} $cmd" \
        "taskset-strace=taskset -c 0 ${STRACE[*]} $cmd"
}

# The real DPDK: Debian's l2fwd example, built as its Makefile says, on pages of our own.
dpdk_row() {
    cp -r /usr/share/dpdk/examples/l2fwd "$WORK/l2fwd"
    make -s -C "$WORK/l2fwd" >/dev/null 2>&1 || { echo "run.sh: cannot build DPDK's l2fwd" >&2; return 1; }
    echo $((OLD_PAGES + 1024)) > "$POOL"
    [ "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages)" -ge 1024 ] \
        || { echo "run.sh: fewer than 1024 free 2 MiB pages after reserving" >&2; return 1; }
    mkdir -p "$MOUNT"
    mount -t hugetlbfs -o pagesize=2M nodev "$MOUNT"
    local l2fwd=("$WORK/l2fwd/build/l2fwd" --legacy-mem -m 64 --no-pci --vdev net_null0 -l 0
                 --file-prefix maptrace-bench --huge-dir "$MOUNT" -- -p 0x0)
    # It must really initialise: the EAL comes up (its pages all mapped), then l2fwd refuses
    # the empty port mask and exits 1. Checked once bare and once under maptrace.
    local out
    out=$("${l2fwd[@]}" 2>&1) || true
    grep -q "Invalid L2FWD arguments" <<<"$out" || { echo "run.sh: DPDK's EAL did not initialise:" >&2; echo "$out" >&2; return 1; }
    out=$("${MAPTRACE[@]::1}" --no-status -- "${l2fwd[@]}" 2>&1) || true
    grep -q "Invalid L2FWD arguments" <<<"$out" || { echo "run.sh: DPDK's EAL did not initialise under maptrace:" >&2; echo "$out" >&2; return 1; }
    echo "dpdk     under maptrace: $(grep -o 'hugetlbfs: [0-9]* files opened, [0-9]* mappings made' <<<"$out" | head -1)"
    row dpdk "" "${l2fwd[@]}"
}

echo "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $RUNS runs per command (medians)"
for r in $ROWS; do
    case $r in
    loop) row loop "" "$WORK/mmapbench" 100000 0 0 ;;
    # and maptrace without the log in the same rounds: what one of its 200,000 records costs;
    # each run writes a new log (the last one is deleted between runs, untimed)
    log) WITHOUT_LOG=1 RECORDS=200000 REMOVE_AFTER=$WORK/bench.jsonl row log "--log $WORK/bench.jsonl" "$WORK/mmapbench" 100000 0 0 ;;
    threads) row threads "" "$WORK/threadbench" 200 500 ;;
    prefill) row prefill "" "$WORK/mmapbench" 100000 0 60000 ;;
    dpdk) dpdk_row ;;
    pps) RUNS=9 Benchmarks/l2fwd-pps.sh ;;  # 9 interleaved pairs: untraced runs spread by ±5 %
    *) echo "run.sh: unknown row $r" >&2; exit 2 ;;
    esac
done
