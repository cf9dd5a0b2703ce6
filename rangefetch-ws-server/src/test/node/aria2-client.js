// Drives a rangefetch server through the npm package "aria2" (the JavaScript client that aria2
// web UIs use), as Aria2ClientTest starts it. Every step asserts what aria2's manual promises;
// the last line on stdout is a JSON summary that the Java test checks against the files on disk.
// Environment: RPC_PORT, RPC_SECRET, SMALL_URL (served at once), SMALL_SHA256, HELD_URL (whose
// responses the origin holds, so the download stays active until removed).
"use strict";

const assert = require("node:assert/strict");
const Aria2 = require("aria2");

const WAIT_MS = 60000;
const GID = /^[0-9a-f]{16}$/;
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
};
const options = (secret) => ({
  host: "127.0.0.1",
  port: Number(env("RPC_PORT")),
  secure: false,
  secret,
  path: "/jsonrpc",
});

// Every notification, in order: [name, gid].
const events = [];
// The step under way, told on stderr if the script stops before its end.
let step = "start";
let finished = false;
// A promise that never settles (a call whose socket closed without an answer) lets node exit
// with code 0 and nothing printed: make that a failure that says where it happened.
process.on("exit", () => {
  if (!finished && process.exitCode === undefined) {
    console.error(`the script stopped during "${step}" without finishing: a call or a wait`
      + ` never settled (the server closed the socket?); events: ${JSON.stringify(events)}`);
    process.exitCode = 3;
  }
});
const waiters = [];

function record(name) {
  return (params) => {
    assert.ok(Array.isArray(params) && params.length === 1, `${name} params: ${JSON.stringify(params)}`);
    assert.match(params[0].gid, GID);
    events.push([name, params[0].gid]);
    for (const w of [...waiters]) w();
  };
}

/** Waits until the count-th notification `name` for `gid` has arrived. */
function waitFor(name, gid, count = 1) {
  const seen = () => events.filter(([n, g]) => n === name && g === gid).length >= count;
  if (seen()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(
      `no ${name} #${count} for ${gid} within ${WAIT_MS} ms; events: ${JSON.stringify(events)}`)), WAIT_MS);
    const check = () => {
      if (seen()) {
        clearTimeout(timer);
        waiters.splice(waiters.indexOf(check), 1);
        resolve();
      }
    };
    waiters.push(check);
  });
}

async function rejects(promise, what) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error(`${what} was expected to fail`);
}

async function main() {
  const secret = env("RPC_SECRET");
  const aria2 = new Aria2(options(secret));
  for (const name of ["onDownloadStart", "onDownloadPause", "onDownloadStop",
    "onDownloadComplete", "onDownloadError"]) {
    aria2.on(name, record(name));
  }
  step = "open";
  await aria2.open();

  step = "wrong secret";
  // A wrong secret is refused, over the WebSocket and over HTTP, and changes nothing.
  const intruder = new Aria2(options("not-the-secret"));
  await intruder.open();
  const refused = await rejects(intruder.call("addUri", [env("SMALL_URL") + "?intruder"]), "addUri with a wrong secret");
  assert.equal(refused.code, 1);
  assert.equal(refused.message, "Unauthorized");
  await intruder.close();
  const refusedHttp = await rejects(new Aria2(options("not-the-secret")).call("getGlobalStat"),
    "getGlobalStat over HTTP with a wrong secret");
  assert.equal(refusedHttp.message, "Unauthorized");

  const version = await aria2.call("getVersion");
  assert.equal(typeof version.version, "string");
  assert.ok(Array.isArray(version.enabledFeatures));
  const methods = await aria2.listMethods();
  for (const m of ["addUri", "tellStatus", "tellActive", "tellWaiting", "tellStopped", "pause",
    "unpause", "remove", "getGlobalStat", "system.multicall"]) {
    assert.ok(methods.includes(m), `listMethods lacks ${m}: ${methods}`);
  }
  assert.deepEqual(await aria2.listNotifications(), ["onDownloadStart", "onDownloadPause",
    "onDownloadStop", "onDownloadComplete", "onDownloadError"]);

  step = "add small";
  // Add a URI with options and follow its notifications to completion.
  const small = await aria2.call("addUri", [env("SMALL_URL")], {
    out: "small.bin", split: "4", "max-connection-per-server": "16", "min-split-size": "64K",
    checksum: "sha-256=" + env("SMALL_SHA256"), "max-download-limit": "0",
  });
  assert.match(small, GID);
  await waitFor("onDownloadComplete", small);
  const done = await aria2.call("tellStatus", small, ["gid", "status", "totalLength",
    "completedLength", "files"]);
  assert.deepEqual(Object.keys(done).sort(), ["completedLength", "files", "gid", "status",
    "totalLength"]);
  assert.equal(done.gid, small);
  assert.equal(done.status, "complete");
  assert.equal(done.completedLength, done.totalLength);
  assert.equal(done.files.length, 1);
  assert.equal(done.files[0].index, "1");
  assert.ok(done.files[0].path.endsWith("/small.bin"), done.files[0].path);
  assert.deepEqual(done.files[0].uris, [{ uri: env("SMALL_URL"), status: "used" }]);

  step = "pause held";
  // Pause and unpause a running download, then remove it.
  const held = await aria2.call("addUri", [env("HELD_URL")]);
  await waitFor("onDownloadStart", held);
  assert.equal(await aria2.call("pause", held), held);
  await waitFor("onDownloadPause", held);
  assert.equal((await aria2.call("tellStatus", held, ["status"])).status, "paused");
  const waiting = await aria2.call("tellWaiting", 0, 10, ["gid", "status"]);
  assert.deepEqual(waiting, [{ gid: held, status: "paused" }]);
  assert.equal(await aria2.call("unpause", held), held);
  await waitFor("onDownloadStart", held, 2);
  const active = await aria2.call("tellActive", ["gid", "status"]);
  assert.deepEqual(active, [{ gid: held, status: "active" }]);
  assert.equal(await aria2.call("remove", held), held);
  await waitFor("onDownloadStop", held);
  assert.equal((await aria2.call("tellStatus", held, ["status"])).status, "removed");

  step = "multicall";
  // system.multicall: results as one-element arrays, a failure as a struct.
  const multi = await aria2.multicall([
    ["tellStatus", small, ["status"]],
    ["getGlobalStat"],
    ["tellStatus", "ffffffffffffffff", ["status"]],
  ]);
  assert.deepEqual(multi[0], [{ status: "complete" }]);
  assert.deepEqual(multi[1], [{ downloadSpeed: "0", uploadSpeed: "0", numActive: "0",
    numWaiting: "0", numStopped: "2", numStoppedTotal: "2" }]);
  assert.equal(multi[2].code, 1);
  assert.match(multi[2].message, /GID ffffffffffffffff is not found/);

  step = "http batch";
  // A batch over HTTP (no WebSocket): the same answers.
  const http = new Aria2(options(secret));
  const [stopped, stat] = await Promise.all(await http.batch([
    ["tellStopped", 0, 10, ["gid", "status"]],
    ["getGlobalStat"],
  ]));
  assert.deepEqual(stopped, [{ gid: small, status: "complete" }, { gid: held, status: "removed" }]);
  assert.equal(stat.numStopped, "2");

  assert.equal(await aria2.call("removeDownloadResult", held), "OK");
  const gone = await rejects(aria2.call("tellStatus", held), "tellStatus of a removed result");
  assert.match(gone.message, /is not found/);

  step = "close";
  await aria2.close();
  finished = true;
  console.log(JSON.stringify({ small, held, events }));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
