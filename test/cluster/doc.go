// Package cluster tests pushio instances as one cluster on a real
// redis-server: in-process instances (server + pushapi + adapter/redis
// behind httptest listeners) and pushio binaries run as child processes.
package cluster
