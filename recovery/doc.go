// Package recovery keeps what Socket.IO's connection state recovery
// (socket.io-client 4.6 and later) needs to give a page that lost its
// connection every packet it missed, in order, once, on whichever
// instance it reconnects to.
//
// Every event a recovering client gets carries an offset as its last
// argument: the instance that handed it to its pages and that instance's
// sequence number ("<instance>:<seq>", Offset). An instance numbers the
// broadcasts it hands to its pages in the order it hands them (its own
// publishes and the other instances' alike), so that on one instance a
// page's packets are in offset order. A Ring keeps an instance's recent
// broadcasts; when a page's connection ends, the broadcasts it may not
// have read (those after it joined, that picked it) are parked with its
// Session in a Store, and so is every later one that picks it, until it
// comes back (Take) or the window ends. Replay picks from them what the
// client's offset says it has not read.
//
// Concurrency: Ring is not safe for concurrent use (its owner holds a
// lock around numbering, delivering and recording); the Stores' methods
// are safe for concurrent use.
package recovery
