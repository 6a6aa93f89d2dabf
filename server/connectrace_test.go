package server

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
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
