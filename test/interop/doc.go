// Package interop tests pushio against the real npm packages it promises
// to work with through Redis: @socket.io/redis-emitter pushing into a
// pushio cluster, and a Node socket.io 4.8 server with
// @socket.io/redis-adapter sharing a cluster with pushio instances. The
// Node side is peer.js; test/deps.sh installs its packages (npm ci).
package interop
