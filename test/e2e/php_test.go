package e2e

import (
	"context"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/e2etest"
	"github.com/pushio/pushio/internal/test/need"
)

// TestPHPReadmeSnippet runs the README's PHP (curl with an array body, so
// multipart; http_build_query's to[0]=…&to[1]=…; type=online; type=count)
// under php-cli against a logged-in client.
func TestPHPReadmeSnippet(t *testing.T) {
	php := need.PHP(t)
	p := e2etest.StartPushio(t)
	const uid, other = "php-user", "nobody-here"
	n := startClients(t, p.IOURL(), clientSpec{Version: "sio2", Transports: []string{"polling"}, UID: uid})
	n.waitLine("all_ready", 15*time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, php, "testdata/readme.php", p.APIURL(), uid, other, e2etest.RichContent).CombinedOutput()
	if err != nil {
		t.Fatalf("php testdata/readme.php: %v\n%s", err, out)
	}
	want := strings.Join([]string{
		"publish: ok",
		"publish offline: offline",
		"publish content: ok",
		"publish several: ok",
		"online: online",
		"online offline: offline",
		`count: {"uids":1,"pages":1}`,
	}, "\n") + "\n"
	if string(out) != want {
		t.Errorf("php printed:\n%s\nwant:\n%s", out, want)
	}
	n.waitMsgs(0, 3, 5*time.Second)
	if got, want := n.data(0, "new_msg"), []any{"hello", e2etest.RichEscaped, "hi"}; !slices.Equal(got, want) {
		t.Errorf("client got %q, want %q", got, want)
	}
}

// TestPHPGatewaySnippets runs the README's PHP for events and JSON, pages
// by client id, batches (signed too) and kicks under php-cli against a
// socket.io-client 4.x page, which gets each push as the README says.
func TestPHPGatewaySnippets(t *testing.T) {
	php := need.PHP(t)
	e2etest.NeedNode(t)
	const secret = "api-secret-for-the-php-test"
	p := e2etest.StartPushio(t)
	signed := e2etest.StartPushio(t, "--api.secret", secret, "--api.signature")
	const uid = "php-gw"
	n := startClients(t, p.IOURL(), clientSpec{Version: "sio4", Transports: []string{"websocket"}, UID: uid, Events: gwEvents})
	n.waitLine("all_ready", 15*time.Second)
	id := n.data(0, "id")[0].(string)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, php, "testdata/gateway.php", p.APIURL(), signed.APIURL(), secret, uid, id).CombinedOutput()
	if err != nil {
		t.Fatalf("php testdata/gateway.php: %v\n%s", err, out)
	}
	want := strings.Join([]string{
		"json event: ok",
		"exclude: ok",
		"client: ok",
		"clients: " + id,
		"batch: ok,offline,offline",
		"signed batch: offline,offline,offline",
		"signed batch, another body: fail 401",
		"kick: ok",
	}, "\n") + "\n"
	if string(out) != want {
		t.Errorf("php printed:\n%s\nwant:\n%s", out, want)
	}
	n.wait(5*time.Second, "the kick", func(es []event) bool { return len(payloads(es, 0, "disconnect")) > 0 })
	if got, want := n.data(0, "new_msg"), []any{"only you", "x"}; !slices.Equal(got, want) {
		t.Errorf("page got new_msg %q, want %q (not the one that excluded it)", got, want)
	}
	if got := n.data(0, "order.paid"); len(got) != 1 || !reflect.DeepEqual(got[0], map[string]any{"id": 7.0, "total": 9.5}) {
		t.Errorf("page got order.paid %v, want one object {id: 7, total: 9.5}", got)
	}
	if got := n.data(0, "logout"); len(got) != 1 || !reflect.DeepEqual(got[0], map[string]any{"reason": "password changed"}) {
		t.Errorf("page got logout %v, want the kick's object", got)
	}
}
