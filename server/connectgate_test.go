package server

import (
	"fmt"
	"testing"
)

// TestLoginRightAfterConnect logs in the moment the client is connected,
// as every page does, each time on a fresh server, where the library is
// slowest to record the socket: without connectGate it drops some of these
// connections.
func TestLoginRightAfterConnect(t *testing.T) {
	t.Parallel()
	for i := range 40 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			ts := startServer(t, Options{})
			ts.dial(t).login("u")
		})
	}
}
