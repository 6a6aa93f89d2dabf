package server

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pushio/pushio/internal/metrics/metricstest"
)

// TestEmitRightAfterConnect logs in the moment the namespace connect is
// acknowledged, as pages do in their 'connect' handler, over websocket
// with both protocols: no login is lost and no client is closed.
func TestEmitRightAfterConnect(t *testing.T) {
	it := startIOTest(t, Options{})
	for _, eio := range []string{"3", "4"} {
		t.Run("EIO"+eio, func(t *testing.T) {
			for i := range 20 {
				uid := fmt.Sprintf("eio%s-%d", eio, i)
				url := "ws" + strings.TrimPrefix(it.URL, "http") + "/socket.io/?EIO=" + eio + "&transport=websocket"
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				ws, _, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
				cancel()
				if err != nil {
					t.Fatal(err)
				}
				defer ws.Close()
				_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
				wsRead(t, ws) // open
				if eio == "4" {
					wsWrite(t, ws, "40")
				}
				for !strings.HasPrefix(wsRead(t, ws), "40") {
				}
				wsWrite(t, ws, `42["login","`+uid+`"]`)
				for msg := ""; !strings.HasPrefix(msg, `42["update_online_count"`); {
					msg = wsRead(t, ws)
				}
				if !it.online(t, uid) {
					t.Fatalf("%s not online", uid)
				}
			}
		})
	}
}

// TestNoGhostSockets: a client that connects the namespace (again, for
// Engine.IO 3, which joins it implicitly) and vanishes at once can close
// its session while the library is still adding its socket. That socket
// must still be disconnected: it left a ghost in the namespace, counted
// in pushio_connections and holding its memory, for good.
func TestNoGhostSockets(t *testing.T) {
	it := startIOTest(t, Options{})
	for _, eio := range []string{"3", "4"} {
		url := "ws" + strings.TrimPrefix(it.URL, "http") + "/socket.io/?EIO=" + eio + "&transport=websocket"
		for range 100 {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			ws, _, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
			wsRead(t, ws) // open
			wsWrite(t, ws, "40")
			wsWrite(t, ws, `42["login","ghost"]`)
			_ = ws.Close()
		}
	}
	time.Sleep(quiet) // for the library to add the sockets it was adding
	eventually(t, "every socket gone", func() bool {
		return it.io.Sockets().Sockets().Len() == 0 && !it.online(t, "ghost")
	})
	for _, eio := range []string{"3", "4"} {
		if n := metricstest.Scrape(t, it.m.Handler()).Value("pushio_connections", "protocol", eio, "transport", "websocket"); n != 0 {
			t.Errorf("pushio_connections{protocol=%q} = %v with no client left", eio, n)
		}
	}
}
