// Package parser is the Socket.IO packet codec: the text of one packet,
// "<type>[<attachments>-][<nsp>,][<id>][<json>]", as socket.io-parser
// writes and reads it for Socket.IO protocol 4 (socket.io-client 1.x, 2.x)
// and 5 (3.x, 4.x). The two protocols share this syntax; they differ in
// which packets a server sends, which is the engine's business.
//
// Decode checks a packet's header and the shape of its JSON as
// socket.io-parser does, strictly; Args turns the JSON of an event or ack
// into Go values with its binary attachments put back. Encode and
// AppendEvent write JSON as pure ASCII (non-ASCII as \uXXXX escapes, as
// PHP's json_encode does), which every client reads the same over every
// transport, including socket.io-client 1.x over polling, whose engine
// decodes UTF-8 once more than later clients.
//
// Concurrency: the package has no state; every function may be called
// from any number of goroutines at once, as long as no two of them write
// the same slice.
package parser
