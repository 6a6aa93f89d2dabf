package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pushio/pushio/internal/metrics"
	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/internal/test/metricstest"
)

// A connection is counted under its transport and protocol, moves from
// polling to websocket on upgrade and is uncounted on disconnect; each
// new_msg handed to it and each publish's fan-out time are counted.
func TestConnectionAndDeliveryMetrics(t *testing.T) {
	t.Parallel()
	it := startIOTest(t, Options{Counts: settings.Counts{Interval: 20 * time.Millisecond}})
	srv, base, m := it.Server, it.URL, it.m
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// Engine.IO 4: polling handshake, connect to "/", then upgrade.
	poll := openPolling(t, base, "/socket.io/", 4)
	poll.send("40")
	if status, body := poll.get(); status != http.StatusOK || !strings.HasPrefix(body, "40") {
		t.Fatalf("connect answer %d %q, want 200 40{…}", status, body)
	}
	waitValue(t, m, 1, "pushio_connections", "transport", "polling", "protocol", "4")

	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/socket.io/?EIO=4&transport=websocket&sid=" + poll.sid
	ws, _, err := websocket.DefaultDialer.DialContext(ctx, wsURL, nil)
	if err != nil {
		t.Fatalf("websocket upgrade: %v", err)
	}
	defer ws.Close()
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	wsWrite(t, ws, "2probe")
	if msg := wsRead(t, ws); msg != "3probe" {
		t.Fatalf("probe answer %q, want 3probe", msg)
	}
	wsWrite(t, ws, "5")
	waitValue(t, m, 1, "pushio_connections", "transport", "websocket", "protocol", "4")
	waitValue(t, m, 0, "pushio_connections", "transport", "polling", "protocol", "4")

	wsWrite(t, ws, `42["login","u1"]`)
	waitValue(t, m, 1, "pushio_online_uids")
	if _, err := srv.Publish(ctx, []string{"u1"}, "one"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Publish(ctx, nil, "all"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"one", "all"} {
		readNewMsg(t, ws, want)
	}
	f := metricstest.Scrape(t, m.Handler())
	if got := f.Value("pushio_messages_delivered_total"); got != 2 {
		t.Errorf("messages delivered = %v, want 2", got)
	}
	if got := f.Value("pushio_fanout_duration_seconds"); got != 2 {
		t.Errorf("fan-outs observed = %v, want 2", got)
	}
	if got := f.Value("pushio_online_pages"); got != 1 {
		t.Errorf("online pages = %v, want 1", got)
	}

	_ = ws.Close()
	waitValue(t, m, 0, "pushio_connections", "transport", "websocket", "protocol", "4")

	// Engine.IO 3 clients are connected to "/" by the handshake itself.
	poll3 := openPolling(t, base, "/socket.io/", 3)
	waitValue(t, m, 1, "pushio_connections", "transport", "polling", "protocol", "3")
	poll3.send("1") // close
	waitValue(t, m, 0, "pushio_connections", "transport", "polling", "protocol", "3")
}

func wsWrite(t *testing.T, ws *websocket.Conn, msg string) {
	t.Helper()
	if err := ws.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatalf("websocket write %q: %v", msg, err)
	}
}

func wsRead(t *testing.T, ws *websocket.Conn) string {
	t.Helper()
	_, b, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("websocket read: %v", err)
	}
	return string(b)
}

// readNewMsg reads until the new_msg carrying content, skipping others.
func readNewMsg(t *testing.T, ws *websocket.Conn, content string) {
	t.Helper()
	want := `42["new_msg","` + content + `"]`
	for {
		if msg := wsRead(t, ws); msg == want {
			return
		}
	}
}

// waitValue waits up to 10 s for a metric to reach want.
func waitValue(t *testing.T, m *metrics.Metrics, want float64, name string, labels ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := metricstest.Scrape(t, m.Handler()).Value(name, labels...)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%v = %v, want %v", name, labels, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
