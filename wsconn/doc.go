// Package wsconn holds server-side websocket connections (RFC 6455) the
// way a push server needs them: tens of thousands idle at once with no
// goroutine and no read buffer each, and broadcast frames encoded once and
// shared by every receiver.
//
// A Poller is one epoll instance. A connection's readiness wakes a
// goroutine taken for that connection only while it has bytes to read; it
// reads into a pooled buffer, keeps only an incomplete frame's bytes, and
// hands each complete message to the Handler. Writes are queued frames,
// written with writev by a few writer goroutines without ever blocking on
// a client: what a client does not take stays queued (bounded) until its
// socket is writable again. Connections that are not plain TCP (TLS) fall
// back to a reader goroutine and a writer goroutine while output waits.
//
// Permessage-deflate is declined and no subprotocol is chosen.
//
// Adopt takes a connection over which the server only writes (a
// server-sent events stream) into the same machinery: its output is
// queued and written as a websocket's, without framing, and its client
// sending anything or hanging up ends it. A Handler that is a
// PongHandler is told of each pong, for heartbeats of PingFrame.
//
// Watch tells when a connection held without reading (a parked long poll)
// has input or is hung up, from the same epoll instance.
//
// Concurrency: Send, Close, CloseNow, Watch and its stop are safe from
// any goroutine,
// handler calls included. Handler calls for one Conn never overlap, come
// in order, and OnClose comes once, last.
package wsconn
