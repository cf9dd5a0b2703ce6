#!/usr/bin/env python3
"""A user-space delay line between two network namespaces, for the rangefetch benchmark.

    delayline.py --ns-a SRV --ns-b CLI --addr-a 10.77.0.1 --addr-b 10.77.0.2 \
                 --delay-ms 20 [--mtu 1500] [--parent-pid PID] [--max-seconds 7200]

The kernel here has no sch_netem, so the delay is made here: two TUN devices, one moved into
each namespace and given a point-to-point address; every IP packet one side sends is read
from its TUN device, held DELAY_MS in a FIFO queue, then written into the other side's
device. Both TCP stacks therefore see a real round trip of 2 x DELAY_MS (handshake, slow
start, ACK clock, window): nothing is terminated or buffered beyond what a router does.

Efficiency: the devices are opened with the virtio-net header and TSO offloads
(TUNSETOFFLOAD), as VPNs do, so the sending kernel hands over up to 64 KiB TCP super-packets
segmented at the link's MSS (from --mtu, 1500 like the internet's path MTU) and the
receiving kernel takes them as such; one read and one write per 64 KiB instead of per
1.5 KiB, while TCP counts its windows in real 1448-byte segments.

Bounded: each direction's queue holds at most --queue-bytes (beyond that a packet is
dropped, as a router's queue does; drops are counted); the devices vanish when the process
ends; it exits when --parent-pid is gone (checked every 0.5 s) or after --max-seconds.
On SIGUSR1 it prints its counters (packets, bytes, drops, queue peak, how late the latest
packet went out) and resets them; on SIGTERM/SIGINT it prints them and exits. Python 3 standard library only; root.
"""

import argparse
import collections
import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import time

TUNSETIFF = 0x400454CA
TUNSETOFFLOAD = 0x400454D0
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
IFF_VNET_HDR = 0x4000
TUN_F_CSUM = 0x01
TUN_F_TSO4 = 0x02
TUN_F_TSO6 = 0x04
READ_SIZE = 65536 + 64  # the largest GSO packet plus its virtio-net header


def open_tun(name, offload):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    flags = IFF_TUN | IFF_NO_PI | (IFF_VNET_HDR if offload else 0)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), flags))
    if offload:
        fcntl.ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)
    return fd


def ip(*args):
    subprocess.run(["ip", *args], check=True)


def configure(dev, ns, addr, peer, mtu):
    ip("link", "set", "dev", dev, "netns", ns)
    ip("-n", ns, "link", "set", "dev", "lo", "up")
    ip("-n", ns, "addr", "add", addr, "peer", peer, "dev", dev)
    ip("-n", ns, "link", "set", "dev", dev, "mtu", str(mtu), "txqueuelen", "1000", "up")


class Direction:
    """One way of the line: packets read from src, written to dst DELAY later, in order."""

    def __init__(self, name, src, dst, delay, limit):
        self.name, self.src, self.dst, self.delay, self.limit = name, src, dst, delay, limit
        self.queue = collections.deque()
        self.queued_bytes = 0
        self.packets = self.bytes = self.drops = self.max_queued = 0
        self.max_late = 0.0  # how far behind its due time a packet went out: the line's own lag

    def read(self, now):
        for _ in range(16):  # bounded, so due packets and the other direction wait little
            try:
                pkt = os.read(self.src, READ_SIZE)
            except BlockingIOError:
                return
            if self.queued_bytes + len(pkt) > self.limit:
                self.drops += 1
                continue
            self.queue.append((now + self.delay, pkt))
            self.queued_bytes += len(pkt)
            self.max_queued = max(self.max_queued, self.queued_bytes)

    def deliver(self, now):
        q = self.queue
        while q and q[0][0] <= now:
            due, pkt = q.popleft()
            self.max_late = max(self.max_late, now - due)
            self.queued_bytes -= len(pkt)
            try:
                os.write(self.dst, pkt)
            except OSError:
                self.drops += 1  # e.g. ENOBUFS: lost like on a real link
                continue
            self.packets += 1
            self.bytes += len(pkt)

    def next_due(self):
        return self.queue[0][0] if self.queue else None

    def summary(self):
        return "%s: %d packets, %.1f MiB, %d dropped, queue peak %.1f MiB, latest %.1f ms late" % (
            self.name, self.packets, self.bytes / 1048576, self.drops, self.max_queued / 1048576,
            self.max_late * 1000)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ns-a", required=True)
    p.add_argument("--ns-b", required=True)
    p.add_argument("--addr-a", required=True)
    p.add_argument("--addr-b", required=True)
    p.add_argument("--dev-prefix", default="rfbt%d" % os.getpid())
    p.add_argument("--delay-ms", type=float, default=20.0, help="one-way delay (default 20)")
    p.add_argument("--mtu", type=int, default=1500)
    p.add_argument("--queue-bytes", type=int, default=64 << 20, help="per direction")
    p.add_argument("--no-offload", action="store_true", help="one packet per MTU (slower)")
    p.add_argument("--parent-pid", type=int, default=0)
    p.add_argument("--max-seconds", type=float, default=7200)
    a = p.parse_args()
    if not 0 <= a.delay_ms <= 10000:
        sys.exit("delayline: --delay-ms %s is out of range: give 0..10000 ms" % a.delay_ms)
    offload = not a.no_offload
    dev_a, dev_b = a.dev_prefix + "a", a.dev_prefix + "b"
    if len(dev_a) > 15:
        sys.exit("delayline: device name %s is longer than 15 characters: shorten --dev-prefix" % dev_a)
    fd_a = open_tun(dev_a, offload)
    fd_b = open_tun(dev_b, offload)
    configure(dev_a, a.ns_a, a.addr_a, a.addr_b, a.mtu)
    configure(dev_b, a.ns_b, a.addr_b, a.addr_a, a.mtu)
    delay = a.delay_ms / 1000.0
    ab = Direction("%s->%s" % (a.ns_a, a.ns_b), fd_a, fd_b, delay, a.queue_bytes)
    ba = Direction("%s->%s" % (a.ns_b, a.ns_a), fd_b, fd_a, delay, a.queue_bytes)

    def stop(signum, frame):
        print("delayline: stopping (signal %d); %s; %s" % (signum, ab.summary(), ba.summary()),
              flush=True)
        sys.exit(0)

    def report(signum, frame):
        # the harness asks after each run: what this run met on the line, then counters reset
        print("delayline: %s; %s" % (ab.summary(), ba.summary()), flush=True)
        for d in (ab, ba):
            d.packets = d.bytes = d.drops = d.max_queued = 0
            d.max_late = 0.0

    signal.signal(signal.SIGUSR1, report)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("delayline: ready: %s (%s, %s) <-> %s (%s, %s), %.1f ms each way, mtu %d, offload %s"
          % (a.ns_a, dev_a, a.addr_a, a.ns_b, dev_b, a.addr_b, a.delay_ms, a.mtu, offload),
          flush=True)
    deadline = time.monotonic() + a.max_seconds
    next_check = 0.0
    fds = [fd_a, fd_b]
    while True:
        now = time.monotonic()
        if now >= next_check:
            next_check = now + 0.5
            if a.parent_pid and not os.path.exists("/proc/%d" % a.parent_pid):
                stop(0, None)
            if now > deadline:
                stop(0, None)
        dues = [d for d in (ab.next_due(), ba.next_due()) if d is not None]
        timeout = max(0.0, min(dues + [next_check]) - now)
        readable, _, _ = select.select(fds, [], [], timeout)
        now = time.monotonic()
        if fd_a in readable:
            ab.read(now)
        if fd_b in readable:
            ba.read(now)
        ab.deliver(now)
        ba.deliver(now)


if __name__ == "__main__":
    main()
