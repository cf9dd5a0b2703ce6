#!/usr/bin/env python3
"""A counting TCP relay for bench/run.sh's rate-limit case (issue 13).

    meter.py --listen-port P --target-port T --out FILE [--parent-pid PID] [--max-seconds S]

Listens on 127.0.0.1:P and relays every connection to 127.0.0.1:T. It counts the bytes it
hands to the client's connection (the server's answers), in 100 ms bins from the first byte,
with a small send buffer (16 KiB in user space, 32 KiB socket buffer), so the count follows
the client's reads within a few tens of KiB: what the origin sees, the same way for every tool.
Once bound it writes FILE.ready. On SIGTERM it writes to FILE one line of key=value pairs:

    bytes       all bytes sent to clients
    seconds     from the first byte to the last
    rate_mib    bytes / seconds / 1048576 (MiB/s, 1024-based)
    cv_pct      coefficient of variation of the per-second throughput, whole seconds only
    min_mib     the slowest whole second (MiB)
    max_mib     the fastest whole second (MiB)
    first_mib   the first second (MiB): how large a burst the tool allowed at its start
    series      the MiB of every whole second, comma-separated

and exits. It also exits when --parent-pid is gone or after --max-seconds. Python 3 standard
library only.
"""

import argparse
import asyncio
import os
import signal
import statistics
import socket
import time

BIN = 0.1
MIB = 1048576.0


class Counter:
    def __init__(self):
        self.bins = {}
        self.first = None
        self.last = None
        self.total = 0

    def add(self, n):
        now = time.monotonic()
        if self.first is None:
            self.first = now
        self.last = now
        self.total += n
        k = int((now - self.first) / BIN)
        self.bins[k] = self.bins.get(k, 0) + n

    def summary(self):
        if self.first is None or self.last <= self.first:
            return "bytes=%d seconds=0 rate_mib=NA cv_pct=NA min_mib=NA max_mib=NA first_mib=NA series=" % self.total
        seconds = self.last - self.first
        per_bin = int(round(1 / BIN))
        whole = int(seconds)  # only whole seconds: the last, partial one would look slow
        series = [sum(self.bins.get(s * per_bin + i, 0) for i in range(per_bin)) / MIB
                  for s in range(whole)]
        if len(series) >= 2:
            mean = statistics.mean(series)
            cv = 100 * statistics.pstdev(series) / mean if mean > 0 else float("nan")
        else:
            cv = float("nan")
        return ("bytes=%d seconds=%.3f rate_mib=%.3f cv_pct=%.1f min_mib=%s max_mib=%s "
                "first_mib=%s series=%s") % (
            self.total, seconds, self.total / seconds / MIB, cv,
            "%.3f" % min(series) if series else "NA", "%.3f" % max(series) if series else "NA",
            "%.3f" % series[0] if series else "NA", ",".join("%.2f" % x for x in series))


async def pipe(reader, writer, counter):
    try:
        while True:
            data = await reader.read(16384)
            if not data:
                break
            writer.write(data)
            await writer.drain()
            if counter is not None:
                counter.add(len(data))
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            writer.close()
        except OSError:
            pass


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen-port", type=int, required=True)
    p.add_argument("--target-port", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--parent-pid", type=int, default=0)
    p.add_argument("--max-seconds", type=float, default=600)
    a = p.parse_args()
    counter = Counter()

    async def handle(client_reader, client_writer):
        sock = client_writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 32768)
        client_writer.transport.set_write_buffer_limits(high=16384)
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", a.target_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, server_writer, None),
                             pipe(server_reader, client_writer, counter))

    server = await asyncio.start_server(handle, "127.0.0.1", a.listen_port)
    with open(a.out + ".ready", "w") as f:
        f.write("ready\n")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    started = time.monotonic()
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
        except asyncio.TimeoutError:
            pass
        if a.parent_pid and not os.path.exists("/proc/%d" % a.parent_pid):
            break
        if time.monotonic() - started > a.max_seconds:
            break
    server.close()
    with open(a.out + ".tmp", "w") as f:
        f.write(counter.summary() + "\n")
    os.replace(a.out + ".tmp", a.out)


if __name__ == "__main__":
    asyncio.run(main())
