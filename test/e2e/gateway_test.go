package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/test/e2etest"
	"github.com/pushio/pushio/internal/test/harness"
)

// gwEvents are the events the pages of the gateway tests listen for,
// besides new_msg.
var gwEvents = []string{"order.paid", "logout"}

// orderPaid is a JSON object pushed with json=, and what every page must
// get: an object, not a string.
const orderPaid = `{"id":7,"items":[{"sku":"a","n":2}],"ok":true,"note":null,"text":"<b>你好</b>"}`

var orderPaidValue = map[string]any{"id": 7.0, "items": []any{map[string]any{"sku": "a", "n": 2.0}}, "ok": true,
	"note": nil, "text": "<b>你好</b>"}

// TestGatewayPages: socket.io-client 1.x, 2.x and 4.x pages over each
// transport, two of one uid, are reached by the id each reads as
// socket.id, get custom events with JSON objects as objects, are left
// out with exclude, are pushed to in a batch with good and bad items,
// and are kicked: the message first, then a server disconnect after
// which they do not reconnect (reconnection is on).
func TestGatewayPages(t *testing.T) {
	e2etest.NeedNode(t)
	for _, v := range []string{"sio1", "sio2", "sio4"} {
		for _, mode := range transportModes[:2] {
			t.Run(v+"/"+mode.name, func(t *testing.T) {
				t.Parallel()
				p := e2etest.StartPushio(t)
				uid := "gw-" + v + "-" + mode.name
				page := clientSpec{Version: v, Transports: mode.transports, UID: uid, Reconnect: true, Events: gwEvents}
				n := startClients(t, p.IOURL(), page, page)
				n.waitLine("all_ready", 15*time.Second)
				ids := []string{n.data(0, "id")[0].(string), n.data(1, "id")[0].(string)}
				checkGateway(t, p, n, uid, ids, "io server disconnect")
			})
		}
	}
}

// TestGatewayPlainPage: the same with two pages of the browser's own
// WebSocket (the npm ws package), reached by the id of their welcome
// frame; a kick closes them with 1000.
func TestGatewayPlainPage(t *testing.T) {
	e2etest.NeedNode(t)
	p := e2etest.StartPushio(t)
	page := clientSpec{Version: "ws", UID: "gw-ws", Reconnect: true}
	n := startClients(t, p.IOURL(), page, page)
	n.waitLine("all_ready", 15*time.Second)
	ids := []string{n.data(0, "welcome")[0].(string), n.data(1, "welcome")[0].(string)}
	checkGateway(t, p, n, "gw-ws", ids, "1000 closed by the server")
}

// checkGateway runs the gateway checks on pages 0 and 1 of n, both of
// uid, with client ids ids; a kicked page's disconnect reads kicked.
func checkGateway(t *testing.T, p *harness.Pushio, n *nodeClients, uid string, ids []string, kicked string) {
	t.Helper()
	sorted := slices.Sorted(slices.Values(ids))
	var list struct {
		Clients []string `json:"clients"`
		Cursor  string   `json:"cursor"`
	}
	if err := json.Unmarshal([]byte(e2etest.APIGet(t, p, "type=clients&uid="+url.QueryEscape(uid))), &list); err != nil ||
		!slices.Equal(list.Clients, sorted) || list.Cursor != "" {
		t.Fatalf("type=clients: %+v (%v), want %q", list, err, sorted)
	}
	if got := e2etest.APIGet(t, p, "type=online&client="+ids[0]); got != "online" {
		t.Fatalf("type=online&client=%s: %q", ids[0], got)
	}
	if got := e2etest.APIGet(t, p, "type=online&client=no-such-page"); got != "offline" {
		t.Fatalf("type=online&client=no-such-page: %q", got)
	}

	// A JSON object to one page by its id, under an event of its own.
	if got := e2etest.APIGet(t, p, "type=publish&event=order.paid&client="+ids[0]+"&json="+url.QueryEscape(orderPaid)); got != "ok" {
		t.Fatalf("publish to client %s: %q", ids[0], got)
	}
	// Every page of uid but page 0.
	if got := e2etest.APIGet(t, p, "type=publish&to="+url.QueryEscape(uid)+"&exclude="+ids[0]+"&content=%3Chi%3E"); got != "ok" {
		t.Fatalf("publish with exclude: %q", got)
	}
	// A batch: a page by id, an offline uid, a bad item, and a page named
	// three times, which gets one copy.
	batch, _ := json.Marshal([]map[string]any{
		{"client": ids[1], "event": "order.paid", "json": []any{1, "two"}},
		{"to": "nobody", "content": "x"},
		{"event": "connect", "content": "x"},
		{"to": uid, "client": ids, "content": "once"},
	})
	status, body := e2etest.Call(t, http.MethodPost, p.APIURL()+"/", "application/json", string(batch))
	want := `[{"result":"ok","online":[],"offline":[],"clients":{"online":["` + ids[1] + `"],"offline":[]}},` +
		`{"result":"offline","online":[],"offline":["nobody"]},{"result":"fail","error":"event is reserved: connect"},` +
		`{"result":"ok","online":["` + uid + `"],"offline":[],"clients":{"online":["` + ids[0] + `","` + ids[1] + `"],"offline":[]}}]`
	if status != http.StatusOK || body != want {
		t.Fatalf("batch: %d %s\nwant %s", status, body, want)
	}
	n.waitMsgs(0, 1, 5*time.Second)
	n.waitMsgs(1, 2, 5*time.Second)
	n.wait(5*time.Second, "order.paid on both pages", func(es []event) bool {
		return len(payloads(es, 0, "order.paid")) == 1 && len(payloads(es, 1, "order.paid")) == 1
	})
	if got := n.data(0, "order.paid")[0]; !reflect.DeepEqual(got, orderPaidValue) {
		t.Errorf("page 0 got order.paid %#v, want the object %#v", got, orderPaidValue)
	}
	if got := n.data(1, "order.paid")[0]; !reflect.DeepEqual(got, []any{1.0, "two"}) {
		t.Errorf("page 1 got order.paid %#v, want [1, \"two\"]", got)
	}
	if got, want := n.data(0, "new_msg"), []any{"once"}; !slices.Equal(got, want) {
		t.Errorf("page 0 (excluded once) got new_msg %q, want %q", got, want)
	}
	if got, want := n.data(1, "new_msg"), []any{"&lt;hi&gt;", "once"}; !slices.Equal(got, want) {
		t.Errorf("page 1 got new_msg %q, want %q", got, want)
	}

	// A kick of page 0 with a message first, then of uid's every page.
	if got := e2etest.APIGet(t, p, "type=kick&client="+ids[0]+"&event=logout&content=bye"); got != "ok" {
		t.Fatalf("kick of page %s: %q", ids[0], got)
	}
	n.wait(5*time.Second, "page 0 disconnected", func(es []event) bool { return len(payloads(es, 0, "disconnect")) > 0 })
	if got := sequence(n, 0, "logout", "disconnect"); !slices.Equal(got, []string{"logout bye", "disconnect " + kicked}) {
		t.Errorf("page 0 saw %q, want the logout, then a server disconnect %q", got, kicked)
	}
	waitAnswer(t, p, "type=online&client="+ids[0], "offline")
	if got := e2etest.APIGet(t, p, "type=kick&uid="+url.QueryEscape(uid)); got != "ok" {
		t.Fatalf("kick of uid %s: %q", uid, got)
	}
	n.wait(5*time.Second, "page 1 disconnected", func(es []event) bool { return len(payloads(es, 1, "disconnect")) > 0 })
	waitAnswer(t, p, "type=kick&uid="+url.QueryEscape(uid), "offline")
	time.Sleep(1500 * time.Millisecond) // reconnection would be under way: 0.2 s delays
	for c := range 2 {
		if k := n.count(c, "connect"); k != 1 {
			t.Errorf("page %d connected %d times: a kicked page reconnected", c, k)
		}
	}
}

// sequence is page c's events named in evs, in order, each "event data".
func sequence(n *nodeClients, c int, evs ...string) []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for _, e := range n.events {
		if e.C == c && slices.Contains(evs, e.Ev) {
			out = append(out, fmt.Sprint(e.Ev, " ", e.Data))
		}
	}
	return out
}

// waitAnswer polls GET /?query until it answers want, within 5 s.
func waitAnswer(t *testing.T, p *harness.Pushio, query, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := e2etest.APIGet(t, p, query)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /?%s: %q after 5s, want %q", query, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestGatewayEventStream: an EventSource page (the npm eventsource
// package) is reached by the id of its welcome event and gets a custom
// event's JSON as its data; a kick ends its stream, and EventSource opens
// a new one by itself, as the README says.
func TestGatewayEventStream(t *testing.T) {
	e2etest.NeedNode(t)
	p := e2etest.StartPushio(t)
	n := startClients(t, p.IOURL(), clientSpec{Version: "sse", UID: "gw-sse", Events: gwEvents})
	n.waitLine("all_ready", 15*time.Second)
	id := n.data(0, "welcome")[0].(string)
	if got := e2etest.APIGet(t, p, "type=publish&event=order.paid&client="+id+"&json="+url.QueryEscape(orderPaid)); got != "ok" {
		t.Fatalf("publish to client %s: %q", id, got)
	}
	n.wait(5*time.Second, "order.paid", func(es []event) bool { return len(payloads(es, 0, "order.paid")) == 1 })
	var got any
	if data, _ := n.data(0, "order.paid")[0].(string); json.Unmarshal([]byte(data), &got) != nil || !reflect.DeepEqual(got, orderPaidValue) {
		t.Errorf("order.paid data %q, want the JSON of %s", data, orderPaid)
	}
	if got := e2etest.APIGet(t, p, "type=kick&client="+id+"&event=logout&content=bye"); got != "ok" {
		t.Fatalf("kick: %q", got)
	}
	n.wait(10*time.Second, "the stream opened again", func(es []event) bool {
		return len(payloads(es, 0, "logout")) == 1 && len(payloads(es, 0, "welcome")) == 2
	})
	if got := n.data(0, "welcome"); got[1] == id {
		t.Errorf("the new stream has the kicked page's id %s", id)
	}
}
