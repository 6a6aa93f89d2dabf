// client.js runs socket.io clients (1.x, 2.x, 3.x or 4.x, from the npm aliases
// sio1, sio2, sio3, sio4) against pushio and prints what they see as JSON lines
// on stdout, for the Go tests to assert. One process holds many clients.
//
// Usage: node client.js '<spec>'   where spec is JSON:
//   url         the server, http://127.0.0.1:PORT
//   timeout_ms  the whole run's bound (default 30000): exit 1 past it
//   clients     a list of:
//     version     "sio1" | "sio2" | "sio3" | "sio4"
//     transports  e.g. ["websocket"] or ["polling"]; absent: the default
//                 (polling, then an upgrade to websocket)
//     uid         emitted with login on connect (no login when absent or "")
//     logins      instead of [[uid]]: the argument lists of each login
//                 emit, in order (e.g. [[], [null], [{"a":1}], ["u"]])
//     upgrade     when true, ready waits for the websocket upgrade
//     expect      disconnect after this many new_msg (0: stay)
//     local       the source address, e.g. "127.0.0.2", to be another client
//                 to a load balancer that hashes addresses
//     reconnect   when true, the client reconnects (and logs in again) after
//                 a disconnect it did not ask for, with short delays (0.2 s,
//                 doubling up to 1 s); a failed attempt ends nothing
//
// Lines, each with the client's index c and its transport t:
//   {"c":0,"ev":"connect"}  {"c":0,"ev":"ready"}
//   {"c":0,"ev":"new_msg","data":…}  {"c":0,"ev":"update_online_count","data":…}
//   {"c":0,"ev":"disconnect","data":reason}  {"c":0,"ev":"connect_error","data":…}
//   {"c":0,"ev":"login_error","data":reason}
// and {"ev":"all_ready"} once every client is ready, {"ev":"done"} when
// all have disconnected. A client is ready once connected and logged in:
// after its first update_online_count if it sent a uid, and after the
// upgrade if asked. Closing stdin disconnects every client.
"use strict";

const spec = JSON.parse(process.argv[2] || process.env.E2E_CLIENT_SPEC || "{}");
const versions = new Set(["sio1", "sio2", "sio3", "sio4"]);

function print(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

let ready = 0;
let finished = 0;
const sockets = [];

function transportOf(socket) {
  const engine = socket.io && socket.io.engine;
  return engine && engine.transport ? engine.transport.name : "";
}

// finish lets pending requests end (over polling, a disconnect is a POST
// still in flight) and the process exit by itself, within a second.
function finish(code) {
  process.exitCode = code;
  process.stdin.destroy();
  setTimeout(() => process.exit(code), 1000).unref();
}

function start(c, i) {
  if (!versions.has(c.version)) {
    print({ c: i, ev: "error", data: "unknown version " + c.version });
    process.exit(2);
    return;
  }
  const io = require(c.version);
  const opts = { forceNew: true, reconnection: !!c.reconnect, timeout: 10000 };
  if (c.reconnect) Object.assign(opts, { reconnectionDelay: 200, reconnectionDelayMax: 1000 });
  if (c.transports) opts.transports = c.transports;
  if (c.local) opts.agent = new (require("http").Agent)({ localAddress: c.local });
  const socket = io(spec.url, opts);
  sockets.push(socket);
  const logins = c.logins || (c.uid ? [[c.uid]] : []);
  const expect = c.expect || 0;
  let got = 0;
  let isReady = false;
  let counted = !c.uid;
  let upgraded = !c.upgrade;
  let done = false;

  const emit = (ev, data) => {
    const line = { c: i, ev: ev, t: transportOf(socket) };
    if (data !== undefined) line.data = data;
    print(line);
  };
  const maybeReady = () => {
    if (isReady || !counted || !upgraded) return;
    isReady = true;
    emit("ready");
    if (++ready === spec.clients.length) print({ ev: "all_ready" });
  };
  const end = () => {
    if (done) return;
    done = true;
    if (++finished === spec.clients.length) {
      print({ ev: "done" });
      finish(0);
    }
  };

  socket.on("connect", () => {
    emit("connect");
    if (c.upgrade) {
      if (transportOf(socket) === "websocket") upgraded = true;
      else socket.io.engine.on("upgrade", () => { upgraded = true; maybeReady(); });
    }
    for (const args of logins) socket.emit.apply(socket, ["login"].concat(args));
    maybeReady();
  });
  socket.on("update_online_count", (data) => {
    emit("update_online_count", data);
    counted = true;
    maybeReady();
  });
  socket.on("new_msg", (data) => {
    emit("new_msg", data);
    if (expect && ++got === expect) socket.disconnect();
  });
  socket.on("login_error", (reason) => emit("login_error", reason));
  socket.on("connect_error", (err) => {
    emit("connect_error", String(err && err.message ? err.message : err));
    if (!c.reconnect) end();
  });
  socket.on("disconnect", (reason) => {
    emit("disconnect", String(reason));
    if (!c.reconnect || reason === "io client disconnect") end();
  });
}

spec.clients.forEach(start);

process.stdin.on("data", () => {});
process.stdin.on("end", () => {
  for (const s of sockets) s.disconnect();
  // 1.x does not always emit disconnect for a socket that never connected.
  finish(0);
});

setTimeout(() => {
  print({ ev: "timeout" });
  process.exit(1);
}, spec.timeout_ms || 30000).unref();
