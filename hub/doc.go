// Package hub keeps the rooms of one instance: which connections are in
// which room, and each connection's id, so that a message can be handed to
// every member of some rooms (or of all) once, whatever the rooms overlap.
// It knows rooms, not wires: a member is anything that takes a message
// without blocking (Deliver), and the message type is the caller's, so the
// hub is tested and benchmarked without a socket.
//
// Rooms are uids (a page joins its uid's room at login), groups (the room
// GroupRoom(G), which no uid and no page id can be) and each member's id.
//
// Concurrency: every method is safe for concurrent use. Broadcast holds a
// read lock while it hands the message to each member, so Deliver must not
// block and must not call back into the hub.
package hub
