#!/usr/bin/env python3
"""One benchmark row: run the untraced command and its traced variants in interleaved rounds
(each round runs every command once, in turn, and every other round in the reverse order), so
that a change in the machine's load, or what one command leaves behind for the next, falls on
all of them alike, then print the medians and the ratios of added time (traced minus untraced).

    interleaved.py NAME RUNS untraced=CMD maptrace=CMD maptrace-pinned=CMD strace=CMD taskset-strace=CMD \
        [maptrace-nolog=CMD maptrace-pinned-nolog=CMD]

With the two -nolog commands (maptrace's own without --log) and RECORDS in the environment, it
also prints what a log record costs.

Each CMD is split like a shell word list (no shell runs it); its output is discarded and its exit
status ignored (DPDK's l2fwd exits 1 by design here). One warm-up round comes first.

REMOVE_AFTER (a path, optional) is deleted after every command, untimed: each --log run writes a
new log, as a user's run does, instead of truncating the last run's 80 MB one (which waits for
its writeback when the kernel has started it).
"""
import os
import shlex
import statistics
import subprocess
import sys
import time

name, runs = sys.argv[1], int(sys.argv[2])
commands = dict(arg.split("=", 1) for arg in sys.argv[3:])
times = {k: [] for k in commands}
for round_ in range(runs + 1):
    order = list(commands.items())
    for key, cmd in (order if round_ % 2 else reversed(order)):
        start = time.perf_counter()
        subprocess.run(shlex.split(cmd), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if round_ > 0:  # the first round warms caches up
            times[key].append(time.perf_counter() - start)
        if os.environ.get("REMOVE_AFTER"):
            try:
                os.unlink(os.environ["REMOVE_AFTER"])
            except FileNotFoundError:
                pass
r = {k: statistics.median(v) for k, v in times.items()}
bare = r["untraced"]
added = {k: v - bare for k, v in r.items()}


def ratio(a, b, goal):
    if added[b] <= 0 or added[a] <= 0:  # the machine's noise exceeded a traced run's cost
        return "undefined (a traced median is not above the untraced one: rerun)"
    x = added[a] / added[b]
    return f"{x:.2f} (goal <= {goal}{'' if x <= goal else ', MISSED'})"


spread = ", ".join(f"{k} {min(v):.2f}-{max(v):.2f}" for k, v in times.items())
print(f"{name:8} untraced {bare:.3f}s | maptrace {r['maptrace']:.3f}s | --pin-tracee {r['maptrace-pinned']:.3f}s | "
      f"strace {r['strace']:.3f}s | taskset strace {r['taskset-strace']:.3f}s   (medians of {runs})\n{name:8} ranges: {spread}")
print(f"{name:8} added time: maptrace / strace = {ratio('maptrace', 'strace', 0.5)}; "
      f"--pin-tracee / taskset strace = {ratio('maptrace-pinned', 'taskset-strace', 1.0)}", flush=True)
# The --log row also runs maptrace without the log in the same rounds (RECORDS: records a run
# writes): what a record costs, by default and pinned.
# Each round runs maptrace with and without the log, one right after the other (run.sh puts
# them side by side; their order flips from round to round): the median of the per-round
# differences is steadier than the difference of the two medians, since a change in the
# machine's load from one round to the next falls on both runs of a round alike. A record costs
# about 1 µs against run-to-run noise of ±0.1 s on 200,000 records: hence more rounds (LOG_RUNS).
if "maptrace-nolog" in r and "RECORDS" in os.environ:
    records = int(os.environ["RECORDS"])
    def per_record(a, b):
        return statistics.median(x - y for x, y in zip(times[a], times[b])) / records * 1e6
    print(f"{name:8} --log adds {per_record('maptrace', 'maptrace-nolog'):.2f} µs a record "
          f"(without it: {r['maptrace-nolog']:.3f}s), pinned {per_record('maptrace-pinned', 'maptrace-pinned-nolog'):.2f} µs "
          f"(without it: {r['maptrace-pinned-nolog']:.3f}s) (goal <= 1.5)", flush=True)
