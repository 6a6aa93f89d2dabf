// A reference socket.io 4.8 server doing what web-msg-sender and pushio do,
// so that bench/run.sh can measure the same scenarios against it:
//   - Socket.IO on --io PORT: `login` joins the uid's room and counts the
//     socket, answered with the last update_online_count; a ticker sends
//     update_online_count to everyone once a second when the counts change;
//   - publish API on --api PORT: type=publish&to=UID&content=C answers ok
//     or offline (a broadcast without `to`), type=count answers
//     {"uids":N,"pages":M}; content is escaped as PHP's htmlspecialchars.
// Usage: node server.js --io PORT --api PORT [--host 127.0.0.1]
'use strict';

const http = require('node:http');
const { parseArgs } = require('node:util');
const { Server } = require('socket.io');

const { values: args } = parseArgs({
  options: {
    io: { type: 'string' },
    api: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});
if (!args.io || !args.api) {
  console.error('usage: node server.js --io PORT --api PORT [--host ADDR]');
  process.exit(2);
}

// uid → number of logged-in sockets; pages is their sum.
const uids = new Map();
let pages = 0;
let lastCounts = { uids: 0, pages: 0 };

const countsHTML = (c) => `当前<b>${c.uids}</b>人在线，共打开<b>${c.pages}</b>个页面`;

const ioHTTP = http.createServer();
const io = new Server(ioHTTP, {
  cors: { origin: true, credentials: true },
  allowEIO3: true,
  serveClient: false,
  pingInterval: 25000,
  pingTimeout: 20000,
  maxHttpBufferSize: 1 << 20,
});

io.on('connection', (socket) => {
  let uid = null;
  socket.on('login', (v) => {
    if (uid !== null) return; // a second login is ignored
    if (typeof v === 'number') v = String(v);
    if (typeof v !== 'string') return;
    uid = v;
    socket.join(uid);
    uids.set(uid, (uids.get(uid) || 0) + 1);
    pages++;
    socket.emit('update_online_count', countsHTML(lastCounts));
  });
  socket.on('disconnect', () => {
    if (uid === null) return;
    const n = uids.get(uid) - 1;
    if (n > 0) uids.set(uid, n);
    else uids.delete(uid);
    pages--;
  });
});

setInterval(() => {
  const c = { uids: uids.size, pages };
  if (c.uids === lastCounts.uids && c.pages === lastCounts.pages) return;
  lastCounts = c;
  io.emit('update_online_count', countsHTML(c));
}, 1000);

const specialChars = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#039;' };
const htmlspecialchars = (s) => s.replace(/[&<>"']/g, (ch) => specialChars[ch]);

function answer(params) {
  switch (params.get('type')) {
    case 'publish': {
      const content = htmlspecialchars(params.get('content') ?? '');
      const to = params.get('to');
      if (!to) {
        io.emit('new_msg', content);
        return 'ok';
      }
      io.to(to).emit('new_msg', content);
      return uids.has(to) ? 'ok' : 'offline';
    }
    case 'count':
      return JSON.stringify({ uids: uids.size, pages });
    default:
      return 'fail';
  }
}

const api = http.createServer((req, res) => {
  const params = new URL(req.url, 'http://api').searchParams;
  const reply = () => {
    const body = answer(params);
    res.writeHead(200, {
      'Content-Type': 'text/html;charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  };
  if (req.method !== 'POST') return reply();
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => {
    for (const [k, v] of new URLSearchParams(body)) params.set(k, v);
    reply();
  });
});

ioHTTP.listen(Number(args.io), args.host, () => {
  api.listen(Number(args.api), args.host, () => {
    console.log(`node-ref listening: io ${args.host}:${args.io}, api ${args.host}:${args.api}`);
  });
});
