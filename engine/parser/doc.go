// Package parser is the Engine.IO wire codec: packets, websocket frames and
// polling payloads as the Node servers write and read them, for Engine.IO
// protocol 3 (socket.io-client 1.x and 2.x) and 4 (3.x and 4.x).
//
// Protocol 3 payloads come in three shapes: text ("<length>:<packet>"...,
// lengths in UTF-16 code units), binary (application/octet-stream, lengths
// as one byte per decimal digit) and JSONP (a script to GET, a form to
// POST). Protocol 4 payloads are text only, packets joined by '\x1e',
// binary messages as "b" and base64. Decoding is strict: whatever the JS
// parser would reject, and whatever it would only accept by accident
// (lengths such as " 1" or "0x1", unknown binary markers, cut packets),
// is an error wrapping ErrBadPacket or ErrBadPayload.
//
// Every function taking a protocol reads 3 as protocol 3 and any other
// value as protocol 4.
//
// Packets decoded from text alias the input: Data is a sub-slice of the
// frame or body passed in, so keep that buffer unchanged while the packet
// is in use. Binary data sent as base64 is decoded into a new slice.
//
// Concurrency: the package has no state; every function may be called
// from any number of goroutines at once, as long as no two of them write
// the same slice.
package parser
