// Package socketio is the Socket.IO protocol over package engine: protocol
// 4 for Engine.IO 3 clients (socket.io-client 1.x, 2.x: joined to "/" at
// once) and 5 for Engine.IO 4 ones (3.x, 4.x: CONNECT with auth), events
// and acknowledgements, binary attachments, namespaces the application
// names (any other gets CONNECT_ERROR), and socket ids as each client
// version reads them. Rooms are not here: a Socket is a hub.Member, and
// the application keeps its rooms in a hub.
//
// Concurrency: Handler calls for one session never overlap and come in
// the client's order (engine's contract); Socket methods are safe for
// concurrent use and never block.
package socketio
