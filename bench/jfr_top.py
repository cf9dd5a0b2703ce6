#!/usr/bin/env python3
"""Summarises a JFR recording of a rangefetch run: where the CPU samples are, what allocates.

    jfr_top.py RECORDING.jfr [--top 15]

Uses the JDK's `jfr print --json` (JDK 17); Python 3 standard library only. Prints:
- execution samples by top frame (self time) and by method anywhere on the stack (inclusive),
  the latter limited to io.rangefetch / org.apache.hc / java.nio / sun.nio frames;
- sampled allocation weight by class and by the allocating frame;
- garbage collections: count and total pause;
- per thread: how many execution samples (which threads are busy).
"""

import argparse
import json
import re
import subprocess
import sys
from collections import Counter


def frame_name(fr):
    m = fr.get("method") or {}
    t = (m.get("type") or {}).get("name", "?")
    return "%s.%s" % (t.replace("/", "."), m.get("name", "?"))


def seconds(d):
    """A JFR JSON duration: ISO-8601 like "PT0.005353184S" (JDK 17) or a number of seconds."""
    if isinstance(d, (int, float)):
        return float(d)
    m = re.match(r"^-?PT(?:([\d.]+)H)?(?:([\d.]+)M)?(?:([\d.]+)S)?$", d or "")
    if not m:
        return 0.0
    h, mi, s = (float(x) if x else 0.0 for x in m.groups())
    return h * 3600 + mi * 60 + s


def events(path, names):
    out = subprocess.run(["jfr", "print", "--json", "--stack-depth", "64", "--events", ",".join(names), path],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["recording"]["events"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("recording")
    p.add_argument("--top", type=int, default=15)
    a = p.parse_args()
    ev = events(a.recording, ["jdk.ExecutionSample", "jdk.NativeMethodSample",
                              "jdk.ObjectAllocationSample", "jdk.GarbageCollection",
                              "jdk.GCHeapSummary"])
    native_c = Counter()
    n_native = 0
    self_c, incl_c, thr_c = Counter(), Counter(), Counter()
    alloc_cls, alloc_site = Counter(), Counter()
    gcs, pause = 0, 0.0
    heap_used = []
    n_exec = 0
    interesting = ("io.rangefetch", "org.apache.hc", "java.nio", "sun.nio", "java.io")
    for e in ev:
        t = e["type"]
        v = e["values"]
        if t == "jdk.ExecutionSample":
            n_exec += 1
            frames = (v.get("stackTrace") or {}).get("frames") or []
            if frames:
                self_c[frame_name(frames[0])] += 1
            seen = set()
            for fr in frames:
                n = frame_name(fr)
                if n.startswith(interesting) and n not in seen:
                    seen.add(n)
                    incl_c[n] += 1
            thr_c[(v.get("sampledThread") or {}).get("javaName") or "?"] += 1
        elif t == "jdk.NativeMethodSample":
            n_native += 1
            frames = (v.get("stackTrace") or {}).get("frames") or []
            # the first frame that is not JDK plumbing says what the thread waits in
            name = next((frame_name(f) for f in frames
                         if frame_name(f).startswith(("io.rangefetch", "org.apache.hc"))),
                        frame_name(frames[0]) if frames else "?")
            top = frame_name(frames[0]) if frames else "?"
            thr = (v.get("sampledThread") or {}).get("javaName") or "?"
            native_c["%s  <- %s  [%s]" % (top, name, re.sub(r"-\d+$", "-N", thr))] += 1
        elif t == "jdk.ObjectAllocationSample":
            w = v.get("weight") or 0
            alloc_cls[(v.get("objectClass") or {}).get("name", "?")] += w
            frames = (v.get("stackTrace") or {}).get("frames") or []
            site = next((frame_name(f) for f in frames if frame_name(f).startswith(
                ("io.rangefetch", "org.apache.hc"))), frame_name(frames[0]) if frames else "?")
            alloc_site[site] += w
        elif t == "jdk.GarbageCollection":
            gcs += 1
            d = v.get("sumOfPauses") or v.get("duration") or 0
            pause += seconds(d)
        elif t == "jdk.GCHeapSummary":
            heap_used.append(v.get("heapUsed") or 0)

    def show(title, counter, total, label=None):
        print("%s (total %s)" % (title, label if label else "%d samples" % total))
        for name, c in counter.most_common(a.top):
            print("  %6.1f %%  %s" % (100.0 * c / total if total else 0, name))
        print()

    show("CPU: top frames (self)", self_c, n_exec)
    show("CPU: inclusive, rangefetch/httpclient/nio frames", incl_c, n_exec)
    show("CPU samples per thread", thr_c, n_exec)
    show("threads in native code (I/O, waits): top native frame <- caller [thread]", native_c,
         n_native)
    tot_alloc = sum(alloc_cls.values())
    show("allocation by class", alloc_cls, tot_alloc, "%.1f MiB sampled" % (tot_alloc / 1048576))
    show("allocation by site", alloc_site, tot_alloc, "%.1f MiB sampled" % (tot_alloc / 1048576))
    print("GC: %d collections, %.1f ms total pause; max heap used %.1f MiB" % (
        gcs, pause * 1000, max(heap_used or [0]) / 1048576))


if __name__ == "__main__":
    sys.exit(main())
