#!/usr/bin/env python3
"""Many-files benchmark client for rangefetch-ws-server (protocol: shared/PROTOCOL.md, version 1).

Adds every URL of a list over ws://HOST:PORT/ws with {"op":"add",...}, keeping at most
WINDOW downloads in flight (default 8; 0 = add them all at once and let the server queue),
and waits until every one of them is `completed`. Exits 0 when all completed, 1 when any
failed or was cancelled, 2 on a protocol or connection problem, 3 on timeout.

    ws_many.py --url ws://127.0.0.1:8765/ws --list urls.txt [--window 8] [--tag run3]
               [--sha256-manifest SHA256SUMS] [--remove] [--timeout 300]

--tag makes each URL unique for this run (appends ?bench=TAG) and prefixes the fileName, so
the server's dedupe-by-URL does not hand back a download from an earlier run.
--remove sends {"op":"remove"} for each download after all completed (files stay on disk),
so the server's registry does not grow from run to run.

Prints one JSON line: {"files":N,"completed":N,"failed":N,"seconds":S,"problems":[...]}.
Needs the `websockets` package (Debian: python3-websockets).
"""

import argparse
import asyncio
import json
import os
import sys
import time

try:
    import websockets
except ImportError:  # pragma: no cover
    print("ws_many.py: needs python3-websockets (apt-get install -y python3-websockets)",
          file=sys.stderr)
    sys.exit(2)

TERMINAL_BAD = {"failed", "cancelled"}


def load_manifest(path):
    sums = {}
    if not path:
        return sums
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                sums[os.path.basename(parts[1].lstrip("*"))] = parts[0]
    return sums


async def run(args):
    with open(args.list) as f:
        urls = [u.strip() for u in f if u.strip()]
    if not urls:
        print(json.dumps({"files": 0, "completed": 0, "failed": 0, "seconds": None,
                          "problems": ["no URLs in %s" % args.list]}))
        return 2
    sums = load_manifest(args.sha256_manifest)
    window = args.window if args.window > 0 else len(urls)

    pending = list(reversed(urls))  # pop() from the end = list order
    req_url = {}     # requestId -> original url
    id_url = {}      # download id -> original url
    state = {}       # download id -> last state
    final = {}       # download id -> status object of its terminal state
    done = set()     # original urls completed
    bad = {}         # original url -> error
    problems = []
    in_flight = 0
    next_req = 0

    def add_message(url):
        nonlocal next_req
        next_req += 1
        rid = "b%d" % next_req
        req_url[rid] = url
        base = os.path.basename(url)
        msg = {"op": "add", "requestId": rid}
        if args.tag:
            sep = "&" if "?" in url else "?"
            msg["url"] = "%s%sbench=%s" % (url, sep, args.tag)
            msg["fileName"] = "%s-%s" % (args.tag, base)
        else:
            msg["url"] = url
        if args.threads:
            msg["threads"] = args.threads
        if args.chunk_bytes:
            msg["chunkBytes"] = args.chunk_bytes
        if base in sums:
            msg["sha256"] = sums[base]
        return json.dumps(msg)

    def note(download):
        """Records a status object; returns True when it newly reached a terminal state."""
        did = download.get("id")
        st = download.get("state")
        if did is None or st is None:
            return False
        state[did] = st
        if st in ("completed",) or st in TERMINAL_BAD:
            final[did] = download
        url = id_url.get(did)
        if url is None:
            return False  # the reply with this id is not here yet; checked when it arrives
        if url in done or url in bad:
            return False  # counted once
        if st == "completed":
            done.add(url)
            want = sums.get(os.path.basename(url))
            got = download.get("sha256")
            if want and got and want != got:
                problems.append("sha256 mismatch for %s: %s" % (url, got))
            return True
        if st in TERMINAL_BAD:
            bad[url] = download.get("error")
            return True
        return False

    deadline = time.monotonic() + args.timeout
    headers = {}
    if args.token:
        headers["Authorization"] = "Bearer " + args.token
    async with websockets.connect(args.url, max_size=None, ping_interval=None,
                                  extra_headers=headers or None) as ws:
        # hello, then the initial list
        hello = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if hello.get("type") != "hello":
            problems.append("first message is not hello: %r" % hello)
        t0 = time.monotonic()

        async def add_and_receive():
            nonlocal in_flight
            while pending and in_flight < window:
                await ws.send(add_message(pending.pop()))
                in_flight += 1
            while len(done) + len(bad) < len(urls):
                # No timeout per message: a wait_for per frame costs the client a task and a
                # timer each, CPU taken from the server on a small machine; one bound covers all.
                msg = json.loads(await ws.recv())
                typ = msg.get("type")
                finished = 0
                if typ == "added":
                    d = msg.get("download") or {}
                    url = req_url.get(msg.get("requestId"))
                    if url is not None and d.get("id") is not None:
                        id_url[d["id"]] = url
                        # its final state may have been pushed before the reply arrived
                        if d["id"] in final:
                            d = final[d["id"]]
                    finished += note(d)
                elif typ in ("status", "ok"):
                    if msg.get("download"):
                        finished += note(msg["download"])
                elif typ == "list":
                    for d in msg.get("downloads") or []:
                        finished += note(d)
                elif typ == "error":
                    url = req_url.get(msg.get("requestId"))
                    problems.append("error %s: %s (%s)" % (msg.get("code"), msg.get("message"), url))
                    if url is not None:
                        bad[url] = msg
                        finished += 1
                in_flight -= finished
                while pending and in_flight < window:
                    await ws.send(add_message(pending.pop()))
                    in_flight += 1

        try:
            await asyncio.wait_for(add_and_receive(), max(0.0, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            waiting = [u for u in urls if u not in done and u not in bad]
            url_id = {u: i for i, u in id_url.items()}
            detail = ["%s: %s" % (u, "no reply to add" if u not in url_id
                                  else "last state " + str(state.get(url_id[u])))
                      for u in waiting if u not in pending][:10]
            print(json.dumps({"files": len(urls), "completed": len(done),
                              "failed": len(bad), "seconds": None,
                              "problems": problems + ["timeout"] + detail}))
            return 3
        seconds = time.monotonic() - t0
        if args.remove:
            for did in list(id_url):
                await ws.send(json.dumps({"op": "remove", "id": did}))
            # drain the replies briefly so the removes are processed before we close
            end = time.monotonic() + 5
            acks = 0
            while acks < len(id_url) and time.monotonic() < end:
                try:
                    m = json.loads(await asyncio.wait_for(ws.recv(), end - time.monotonic()))
                except asyncio.TimeoutError:
                    break
                if m.get("type") in ("ok", "error"):
                    acks += 1
    for url, err in bad.items():
        problems.append("not completed: %s %s" % (url, json.dumps(err)))
    print(json.dumps({"files": len(urls), "completed": len(done), "failed": len(bad),
                      "seconds": round(seconds, 3), "problems": problems[:20]}))
    return 0 if not bad and not problems else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", default="ws://127.0.0.1:8765/ws")
    p.add_argument("--list", required=True, help="file with one URL per line")
    p.add_argument("--window", type=int, default=8, help="downloads in flight (0 = all)")
    p.add_argument("--tag", default="", help="unique tag for this run (see above)")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--chunk-bytes", type=int, default=0)
    p.add_argument("--sha256-manifest", default="")
    p.add_argument("--token", default=os.environ.get("RANGEFETCH_TOKEN", ""))
    p.add_argument("--remove", action="store_true")
    p.add_argument("--timeout", type=float, default=300)
    args = p.parse_args()
    try:
        sys.exit(asyncio.run(run(args)))
    except (OSError, websockets.exceptions.WebSocketException) as e:
        print(json.dumps({"files": None, "completed": 0, "failed": None, "seconds": None,
                          "problems": ["connection: %s" % e]}))
        sys.exit(2)


if __name__ == "__main__":
    main()
