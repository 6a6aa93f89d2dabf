// Package plain serves pushio's pages that use no Socket.IO client: the
// browser's own WebSocket (RFC 6455, one JSON object per text frame) and
// EventSource (server-sent events). Their pages are server.Pages,
// attached to the same hub, logins, presence, counts, limits and drain as
// Socket.IO sockets, so every push target reaches them alike.
//
// A hub message is re-encoded for these wires once per message, not once
// per page (encode.go, through engine.Message.Derived), and written with
// wsconn's shared frames: an idle WebSocket page and an idle event stream
// are each a small struct and a file descriptor in one epoll set, with no
// goroutine and no buffer of their own (an event stream served over
// HTTP/2, under TLS, waits on its request's goroutine instead). One
// goroutine per Wire runs every page's heartbeat: websocket pings, and a
// comment line on each event stream.
//
// Concurrency: Wire's methods are safe for concurrent use. A WebSocket
// page's frames are handled one at a time, in order (wsconn); its Deliver,
// LoginError and Close are safe from any goroutine and never block.
package plain
