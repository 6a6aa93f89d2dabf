// The Node side of pushio's interop tests: a socket.io 4.8 server with
// @socket.io/redis-adapter, a @socket.io/redis-emitter, and socket.io-client
// sockets connected to that server, all on the Redis at REDIS_URL with the
// key prefix PREFIX. The Go test drives it with one JSON command per line
// on stdin and reads one JSON line per answer or event on stdout.
"use strict";
const http = require("http");
const readline = require("readline");
const Redis = require("ioredis");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { Emitter } = require("@socket.io/redis-emitter");
const { io: connect } = require("socket.io-client");

const key = process.env.PREFIX;
const pub = new Redis(process.env.REDIS_URL);
const sub = pub.duplicate();
const emitter = new Emitter(pub.duplicate(), { key });
const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");

const httpServer = http.createServer();
const io = new Server(httpServer, { adapter: createAdapter(pub, sub, { key }) });
// pushio's protocol: a page logs in with its uid and joins the uid's room.
io.on("connection", (socket) => {
  socket.on("login", (uid) => {
    socket.join(String(uid));
    socket.emit("logged_in");
  });
});
io.on("hello", (...args) => out({ serverSideEmit: "hello", args }));

const clients = [];
const commands = {
  // A socket.io-client page on this Node server, logged in as uid.
  client({ uid }) {
    const { port } = httpServer.address();
    const socket = connect(`http://127.0.0.1:${port}`, { transports: ["websocket"] });
    clients.push(socket);
    socket.on("connect", () => socket.emit("login", uid));
    socket.on("logged_in", () => out({ done: "client", uid }));
    // Every event the page gets, new_msg or any other pushio sends.
    socket.onAny((event, ...args) => out({ event, uid, args }));
    socket.on("disconnect", (reason) => out({ event: "disconnect", uid, args: [reason] }));
  },
  emit({ room, event, args }) {
    (room ? io.to(room) : io).emit(event, ...args);
    out({ done: "emit" });
  },
  emitter({ room, event, args }) {
    (room ? emitter.to(room) : emitter).emit(event, ...args);
    out({ done: "emitter" });
  },
  async fetch({ room }) {
    try {
      const sockets = await (room ? io.in(room) : io).fetchSockets();
      out({ done: "fetch", ids: sockets.map((s) => s.id), rooms: sockets.map((s) => [...s.rooms]) });
    } catch (err) {
      out({ done: "fetch", error: String(err) });
    }
  },
  async serverCount() {
    out({ done: "serverCount", n: await io.of("/").adapter.serverCount() });
  },
  serverSideEmit({ event, args }) {
    io.serverSideEmit(event, ...args);
    out({ done: "serverSideEmit" });
  },
};

// The adapter queued its (P)SUBSCRIBE on sub when the Server was made; a
// PING answered on the same connection means Redis has done them, so no
// broadcast published after "ready" can miss this server.
sub.ping().then(() => httpServer.listen(0, "127.0.0.1", () => {
  out({ ready: true, port: httpServer.address().port });
  readline.createInterface({ input: process.stdin }).on("line", (line) => {
    const cmd = JSON.parse(line);
    commands[cmd.cmd](cmd);
  }).on("close", () => process.exit(0));
}));
