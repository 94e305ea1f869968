#!/usr/bin/env bash
# maptrace against the untraced run and strace -f --seccomp-bpf on the same workload, in one run:
# 100k anonymous mmap/munmap pairs plus 1M untraced getppid calls, and the same pairs in a process
# that already holds 60,000 mappings (the model must stay O(log n)). Prints hyperfine's table and
# the ratios of added time. Not a test: run it by hand, as root or not.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
packages=(libseccomp-dev libpcap-dev libunwind-dev pkg-config hyperfine strace)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi
swift build -c release --product maptrace >/dev/null
BIN=$(swift build -c release --show-bin-path)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cc -O2 -o "$WORK/mmapbench" Benchmarks/mmapbench.c
CALLS=open,openat,openat2,creat,mmap,munmap,mremap,mprotect,brk,madvise,mlock,mlock2,mlockall,fallocate,ftruncate,memfd_create,shmget,shmat,shmdt,execve,execveat

bench() {  # name, workload arguments
    local name=$1; shift
    local w="$WORK/mmapbench $*"
    hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$WORK/$name.json" \
        -n untraced "$w" \
        -n maptrace "$BIN/maptrace -q --no-status -- $w" \
        -n maptrace-no-colocate "$BIN/maptrace -q --no-status --no-colocate -- $w" \
        -n "strace-seccomp-bpf" "strace -f --seccomp-bpf -e trace=$CALLS -o /dev/null $w" >&2
    python3 - "$WORK/$name.json" "$name" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
bare, mt, nc, st = r["untraced"], r["maptrace"], r["maptrace-no-colocate"], r["strace-seccomp-bpf"]
print(f"{sys.argv[2]}: untraced {bare:.3f}s, maptrace {mt:.3f}s ({mt/bare:.1f}x), "
      f"maptrace --no-colocate {nc:.3f}s ({nc/bare:.1f}x), strace --seccomp-bpf {st:.3f}s ({st/bare:.1f}x)")
print(f"{sys.argv[2]}: maptrace's added time is {(mt-bare)/(st-bare):.2f}x strace's (goal <= 0.7); "
      f"with --no-colocate {(nc-bare)/(st-bare):.2f}x")
PY
}

bench small 100000 1000000 0
bench prefill60k 100000 0 60000
# The untraced calls alone: 3M getppid calls the filter lets through, against none, both under
# maptrace, so that maptrace's own start-up cancels out.
hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$WORK/untraced.json" \
    -n bare-none "$WORK/mmapbench 0 0" -n bare-3M "$WORK/mmapbench 0 3000000" \
    -n maptrace-none "$BIN/maptrace -q --no-status -- $WORK/mmapbench 0 0" \
    -n maptrace-3M "$BIN/maptrace -q --no-status -- $WORK/mmapbench 0 3000000" >&2
python3 - "$WORK/untraced.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
bare = r["bare-3M"] - r["bare-none"]
traced = r["maptrace-3M"] - r["maptrace-none"]
print(f"untraced calls: 3M getppid cost {bare:.3f}s bare and {traced:.3f}s under maptrace ({traced/bare:.2f}x)")
PY
