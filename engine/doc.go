// Package engine is pushio's Engine.IO server: protocols 3 (socket.io-client
// 1.x, 2.x) and 4 (3.x, 4.x), HTTP long-polling (XHR and, for 3, JSONP) and
// websocket, the polling → websocket upgrade, heartbeats, and Node's error
// codes and messages. It carries opaque messages for the layer above
// (package socketio) and knows nothing of rooms or events.
//
// An idle websocket session is a small struct and a file descriptor in
// wsconn's epoll set: no goroutine waits on it, no buffer is held for it,
// and its heartbeat is a link in one shared timer wheel. A long poll with
// nothing to answer yet is parked when the server is served through
// Server.Listener: its connection leaves net/http until the answer is
// written (park.go), so an idle polling session holds no goroutine
// either; otherwise it waits on its request's goroutine.
//
// Concurrency: Server and Session methods are safe for concurrent use.
// Handler calls for one session never overlap and come in the order the
// client sent its packets; they run on that session's goroutine of the
// moment (a websocket read or a polling POST), so a slow handler delays
// that session alone. Session.Send never blocks.
package engine
