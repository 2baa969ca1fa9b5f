#!/usr/bin/env python3
# Peer for benchmarks/matchers.sh: a Python set of the same hash indicators, the same queries
# (lowercased, 5 passes), CPU time like the Swift side.
import sys, time, resource
t0 = time.process_time()
s = set(l.rstrip("\n") for l in open(sys.argv[1]))
t1 = time.process_time()
qs = [l.rstrip("\n") for l in open(sys.argv[2])]
t2 = time.process_time()
hits = 0
for _ in range(5):
    for q in qs:
        if q.lower() in s:
            hits += 1
t3 = time.process_time()
n = 5 * len(qs)
print(f"python set: {len(s)} hashes, build {t1-t0:.3f} CPU s, {n} lookups {t3-t2:.3f} CPU s, {n/(t3-t2):.0f} lookups/s ({hits} hits), peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024:.0f} MiB")
