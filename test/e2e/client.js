// client.js runs socket.io clients (1.x, 2.x, 3.x or 4.x, from the npm aliases
// sio1, sio2, sio3, sio4) against pushio and prints what they see as JSON lines
// on stdout, for the Go tests to assert. One process holds many clients.
//
// Usage: node client.js '<spec>'   where spec is JSON:
//   url         the server, http://127.0.0.1:PORT
//   timeout_ms  the whole run's bound (default 30000): exit 1 past it
//   clients     a list of:
//     version     "sio1" | "sio2" | "sio3" | "sio4", or "ws" (the npm ws
//                 package on io.ws_path) or "sse" (the npm eventsource
//                 package on io.sse_path, the uid and token in the query)
//     token       the login's token (ws: {uid, token}; sse: &token=)
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
//     events      more event names to listen for and print, e.g. ["logout"]
//                 (sse: their data as text)
//
// Lines, each with the client's index c and its transport t:
//   {"c":0,"ev":"connect"}  {"c":0,"ev":"ready"}
//   {"c":0,"ev":"new_msg","data":…}  {"c":0,"ev":"update_online_count","data":…}
//   {"c":0,"ev":"disconnect","data":reason}  {"c":0,"ev":"connect_error","data":…}
//   {"c":0,"ev":"login_error","data":reason}
// socket.io clients print {"c":0,"ev":"id","data":socket.id} on each connect.
// ws and sse clients also print {"c":0,"ev":"welcome","data":CID}; their t is
// "ws" or "sse", and a ws client's disconnect data is "CODE reason".
// spec.ws_path and spec.sse_path name the plain paths (default /ws,
// /events).
// and {"ev":"all_ready"} once every client is ready, {"ev":"done"} when
// all have disconnected. A client is ready once connected and logged in:
// after its first update_online_count if it sent a uid, and after the
// upgrade if asked. Closing stdin disconnects every client.
"use strict";

const spec = JSON.parse(process.argv[2] || process.env.E2E_CLIENT_SPEC || "{}");
const versions = new Set(["sio1", "sio2", "sio3", "sio4", "ws", "sse"]);

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
  if (c.version === "ws" || c.version === "sse") {
    startPlain(c, i);
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
    emit("id", socket.id);
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
  for (const ev of c.events || []) socket.on(ev, (data) => emit(ev, data));
  socket.on("connect_error", (err) => {
    emit("connect_error", String(err && err.message ? err.message : err));
    if (!c.reconnect) end();
  });
  socket.on("disconnect", (reason) => {
    emit("disconnect", String(reason));
    if (!c.reconnect || reason === "io client disconnect") end();
  });
}

// startPlain runs a page of the plain wires: the npm ws package as a
// browser's WebSocket, or the npm eventsource package as its EventSource.
function startPlain(c, i) {
  const kind = c.version;
  const expect = c.expect || 0;
  let got = 0;
  let isReady = false;
  let counted = !c.uid;
  let done = false;
  let page = null;
  const emit = (ev, data) => {
    const line = { c: i, ev: ev, t: kind };
    if (data !== undefined) line.data = data;
    print(line);
  };
  const maybeReady = () => {
    if (isReady || !counted) return;
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
  const on = (ev, data) => {
    emit(ev, data);
    if (ev === "update_online_count") {
      counted = true;
      maybeReady();
    }
    if (ev === "new_msg" && expect && ++got === expect) page.close();
  };
  const base = spec.url.replace(/^http/, kind === "ws" ? "ws" : "http");
  if (kind === "ws") {
    const WebSocket = require("ws");
    const connect = (delay) => {
      const opts = c.local ? { localAddress: c.local } : {};
      const ws = new WebSocket(base + (spec.ws_path || "/ws"), opts);
      page = { close: () => { done || ws.close(1000); } };
      sockets.push({ disconnect: () => ws.close(1000) });
      ws.on("open", () => {
        delay = 200;
        emit("connect");
        if (c.uid) ws.send(JSON.stringify({ event: "login", data: c.token ? { uid: c.uid, token: c.token } : c.uid }));
        maybeReady();
      });
      ws.on("message", (raw) => {
        const m = JSON.parse(String(raw));
        on(m.event, m.event === "welcome" ? m.data.client : m.data);
      });
      ws.on("error", (err) => emit("connect_error", String(err && err.message ? err.message : err)));
      ws.on("close", (code, reason) => {
        emit("disconnect", code + " " + String(reason));
        if (c.reconnect && !done && code !== 1000) setTimeout(() => connect(Math.min(delay * 2, 1000)), delay);
        else end();
      });
    };
    connect(200);
    return;
  }
  const { EventSource } = require("eventsource");
  const q = new URLSearchParams();
  if (c.uid) q.set("uid", c.uid);
  if (c.token) q.set("token", c.token);
  const esOpts = c.local ? { fetch: localFetch(c.local) } : {};
  const es = new EventSource(base + (spec.sse_path || "/events") + "?" + q.toString(), esOpts);
  const close = () => {
    if (done) return;
    es.close();
    emit("disconnect", "closed");
    end();
  };
  page = { close: close };
  sockets.push({ disconnect: close });
  es.addEventListener("open", () => emit("connect"));
  es.addEventListener("welcome", (e) => on("welcome", JSON.parse(e.data).client));
  for (const ev of ["new_msg", "update_online_count", "login_error"].concat(c.events || [])) {
    es.addEventListener(ev, (e) => on(ev, e.data));
  }
  es.addEventListener("error", (e) => {
    emit("connect_error", (e && (e.code || e.message)) ? String(e.code || e.message) : "error");
    if (es.readyState === EventSource.CLOSED) {
      emit("disconnect", "failed");
      end();
    }
  });
}

// localFetch is a fetch for eventsource that connects from address local
// (Node's own fetch cannot choose it): enough of one for a GET stream.
function localFetch(local) {
  const http = require("http");
  const { Readable } = require("stream");
  return (url, init) => new Promise((resolve, reject) => {
    const req = http.request(url, { method: "GET", headers: init.headers, localAddress: local }, (res) => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(res.headers)) headers.set(k, String(v));
      resolve(new Response(Readable.toWeb(res), { status: res.statusCode, headers: headers }));
    });
    req.on("error", reject);
    if (init.signal) init.signal.addEventListener("abort", () => req.destroy());
    req.end();
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
