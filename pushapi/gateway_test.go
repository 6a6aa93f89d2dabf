package pushapi

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestAPIGateway: events, JSON values, pages by client id, exclusion,
// kicks and the client queries; hostile values are refused with nothing
// sent. "a" and page "c1" are online.
func TestAPIGateway(t *testing.T) {
	t.Parallel()
	ev := func(event, content string, uids ...string) []send {
		return []send{{to: uids, event: event, content: content}}
	}
	js := func(value string, uids ...string) []send { return []send{{to: uids, json: value}} }
	jsonAccept := func(target string) apiRequest { return apiRequest{target: target, accept: "application/json"} }
	long := strings.Repeat("e", 65)
	tests := []struct {
		name  string
		req   apiRequest
		want  answer
		calls []send
	}{
		// event=
		{"custom event", getReq("/?type=publish&to=a&event=chat.msg:new_1-x&content=hi"), wantOK, ev("chat.msg:new_1-x", "hi", "a")},
		{"event of 64 bytes", getReq("/?type=publish&event=" + long[:64] + "&content=x"), wantOK, ev(long[:64], "x")},
		{"event of 65 bytes", getReq("/?type=publish&event=" + long + "&content=x"), wantBad, nil},
		{"empty event", getReq("/?type=publish&event=&content=x"), wantBad, nil},
		{"event with a space", getReq("/?type=publish&event=a+b&content=x"), wantBad, nil},
		{"event with a slash", getReq("/?type=publish&event=a/b&content=x"), wantBad, nil},
		{"event not ASCII", getReq("/?type=publish&event=%E4%BD%A0&content=x"), wantBad, nil},
		{"event invalid UTF-8", getReq("/?type=publish&event=%FF&content=x"), wantBad, nil},
		{"event with a NUL", getReq("/?type=publish&event=a%00&content=x"), wantBad, nil},
		{"event[]", getReq("/?type=publish&event[]=x&content=x"), wantBad, nil},
		{"event new_msg is the default", getReq("/?type=publish&event=new_msg&content=x&to=a"), wantOK, ev("new_msg", "x", "a")},
		{"reserved login", getReq("/?type=publish&event=login&content=x"), wantBad, nil},
		{"reserved logout", getReq("/?type=publish&event=logout&content=x"), wantBad, nil},
		{"reserved update_online_count", getReq("/?type=publish&event=update_online_count&content=x"), wantBad, nil},
		{"reserved welcome", getReq("/?type=publish&event=welcome&content=x"), wantBad, nil},
		{"reserved login_error", getReq("/?type=publish&event=login_error&content=x"), wantBad, nil},
		{"reserved ping", getReq("/?type=publish&event=ping&content=x"), wantBad, nil},
		{"reserved pong", getReq("/?type=publish&event=pong&content=x"), wantBad, nil},
		{"reserved connect", getReq("/?type=publish&event=connect&content=x"), wantBad, nil},
		{"reserved connect_error", getReq("/?type=publish&event=connect_error&content=x"), wantBad, nil},
		{"reserved disconnect", getReq("/?type=publish&event=disconnect&content=x"), wantBad, nil},
		{"reserved disconnecting", getReq("/?type=publish&event=disconnecting&content=x"), wantBad, nil},
		{"reserved newListener", getReq("/?type=publish&event=newListener&content=x"), wantBad, nil},
		{"reserved removeListener", getReq("/?type=publish&event=removeListener&content=x"), wantBad, nil},
		{"reserved error", getReq("/?type=publish&event=error&content=x"), wantBad, nil},
		{"reserved message", getReq("/?type=publish&event=message&content=x"), wantBad, nil},
		{"reserved names are case-sensitive", getReq("/?type=publish&event=Connect&content=x"), wantOK, ev("Connect", "x")},
		// json=
		{"json object compacted", getReq("/?type=publish&to=a&json=" + url.QueryEscape(`{ "a" : [1, 2.5, "<b>"] }`)), wantOK, js(`{"a":[1,2.5,"<b>"]}`, "a")},
		{"json string", getReq("/?type=publish&json=%22hi%22"), wantOK, js(`"hi"`)},
		{"json number", getReq("/?type=publish&json=12"), wantOK, js(`12`)},
		{"json null", getReq("/?type=publish&json=null"), wantOK, js(`null`)},
		{"json with an event", getReq("/?type=publish&event=e&json=%5B%5D"), wantOK, []send{{event: "e", json: `[]`}}},
		{"json not ASCII kept", getReq("/?type=publish&json=" + url.QueryEscape(`"你好"`)), wantOK, js(`"你好"`)},
		{"json invalid", getReq("/?type=publish&json=%7B"), wantBad, nil},
		{"json empty", getReq("/?type=publish&json="), wantBad, nil},
		{"json two values", getReq("/?type=publish&json=1+2"), wantBad, nil},
		{"json invalid UTF-8", getReq("/?type=publish&json=%22%FF%22"), wantBad, nil},
		{"json[]", getReq("/?type=publish&json[]=1"), wantBad, nil},
		{"json and content", getReq("/?type=publish&json=1&content=x"), wantBad, nil},
		{"json and empty content", getReq("/?type=publish&json=1&content="), wantBad, nil},
		{"json body field holds any value", jsonReq("/", `{"type":"publish","to":"a","json":{"x":[1,{"y":null}]}}`), wantOK, js(`{"x":[1,{"y":null}]}`, "a")},
		{"json body string is a JSON string", jsonReq("/", `{"type":"publish","json":"{"}`), wantOK, js(`"{"`)},
		{"json body with content", jsonReq("/", `{"type":"publish","json":1,"content":"x"}`), wantBad, nil},
		{"json over max_body", formReq("/", "type=publish&json=%5B"+strings.Repeat("1%2C", 1000)+"1%5D"), wantTooBig, nil},
		// client= and exclude=
		{"client online", getReq("/?type=publish&client=c1&content=x"), wantOK, []send{{clients: []string{"c1"}, content: "x"}}},
		{"client offline", getReq("/?type=publish&client=c2&content=x"), wantOffline, []send{{clients: []string{"c2"}, content: "x"}}},
		{"clients listed", getReq("/?type=publish&client[]=c2&client[]=c1&client[]=c2&content=x"), wantOK, []send{{clients: []string{"c2", "c1"}, content: "x"}}},
		{"client[]= names nothing", getReq("/?type=publish&client[]=&content=x"), wantBad, nil},
		{"uids and clients", getReq("/?type=publish&to=b&client=c1,c3&content=x"), wantOK, []send{{to: []string{"b"}, clients: []string{"c1", "c3"}, content: "x"}}},
		{"uids online, client offline", getReq("/?type=publish&to=a&client=c3&content=x"), wantOK, []send{{to: []string{"a"}, clients: []string{"c3"}, content: "x"}}},
		{"exclude on a broadcast", getReq("/?type=publish&exclude=c1&content=x"), wantOK, []send{{exclude: []string{"c1"}, content: "x"}}},
		{"exclude on a uid", getReq("/?type=publish&to=a&exclude[]=c1&exclude[]=c9&content=x"), wantOK, []send{{to: []string{"a"}, exclude: []string{"c1", "c9"}, content: "x"}}},
		{"exclude=, names nothing", getReq("/?type=publish&exclude=%2C&content=x"), wantBad, nil},
		{"json answer with clients", jsonAccept("/?type=publish&to=a,b&client=c1,c2&content=x"),
			answer{http.StatusOK, `{"result":"ok","online":["a"],"offline":["b"],"clients":{"online":["c1"],"offline":["c2"]}}`, jsonType},
			[]send{{to: []string{"a", "b"}, clients: []string{"c1", "c2"}, content: "x"}}},
		{"json answer of clients alone", jsonAccept("/?type=publish&client=c2&content=x"),
			answer{http.StatusOK, `{"result":"offline","online":[],"offline":[],"clients":{"online":[],"offline":["c2"]}}`, jsonType},
			[]send{{clients: []string{"c2"}, content: "x"}}},
		// type=kick
		{"kick a uid", getReq("/?type=kick&uid=a"), wantOK, []send{{to: []string{"a"}, kick: true, quiet: true}}},
		{"kick an offline uid", getReq("/?type=kick&uid=b"), wantOffline, []send{{to: []string{"b"}, kick: true, quiet: true}}},
		{"kick a page with logout first", getReq("/?type=kick&client=c1&event=logout&content=bye"), wantOK,
			[]send{{clients: []string{"c1"}, event: "logout", content: "bye", kick: true}}},
		{"kick with a json message", getReq("/?type=kick&uid=a&json=%7B%7D"), wantOK, []send{{to: []string{"a"}, json: "{}", kick: true}}},
		{"kick with content only", getReq("/?type=kick&uid=a&content=x"), wantOK, []send{{to: []string{"a"}, content: "x", kick: true}}},
		{"kick of nobody", getReq("/?type=kick"), wantBad, nil},
		{"kick names uid=, not to=", getReq("/?type=kick&to=a"), wantBad, nil},
		{"kick with exclude only", getReq("/?type=kick&exclude=c1"), wantBad, nil},
		{"kick uid[]=", getReq("/?type=kick&uid[]="), wantBad, nil},
		{"kick with a reserved event", getReq("/?type=kick&uid=a&event=disconnect"), wantBad, nil},
		{"kick with bad json", getReq("/?type=kick&uid=a&json=%7B"), wantBad, nil},
		// type=online&client=
		{"online client", getReq("/?type=online&client=c1"), wantOnline, nil},
		{"offline client", getReq("/?type=online&client=c2"), wantOffline, nil},
		{"online uid or client", getReq("/?type=online&uid=b&client=c1"), wantOnline, nil},
		{"online client[]=", getReq("/?type=online&client[]="), wantBad, nil},
		{"json online client", jsonAccept("/?type=online&client=c1,c2"),
			answer{http.StatusOK, `{"result":"online","online":[],"offline":[],"clients":{"online":["c1"],"offline":["c2"]}}`, jsonType}, nil},
		// type=clients
		{"clients of a uid", getReq("/?type=clients&uid=a"), answer{http.StatusOK, `{"clients":["a-page"],"cursor":""}`, jsonType}, nil},
		{"clients of nobody", getReq("/?type=clients&uid=b"), answer{http.StatusOK, `{"clients":[],"cursor":""}`, jsonType}, nil},
		{"clients paged", getReq("/?type=clients&uid=many&limit=10"), answer{http.StatusOK,
			`{"clients":["c00","c01","c02","c03","c04","c05","c06","c07","c08","c09"],"cursor":"YzA5"}`, jsonType}, nil},
		{"clients last page", getReq("/?type=clients&uid=many&limit=10&cursor=YzE5"), answer{http.StatusOK,
			`{"clients":["c20","c21","c22","c23","c24"],"cursor":""}`, jsonType}, nil},
		{"clients limit 10000", getReq("/?type=clients&uid=a&limit=10000"), answer{http.StatusOK, `{"clients":["a-page"],"cursor":""}`, jsonType}, nil},
		{"clients limit 10001", getReq("/?type=clients&uid=a&limit=10001"), wantBad, nil},
		{"clients limit 0", getReq("/?type=clients&uid=a&limit=0"), wantBad, nil},
		{"clients limit not a number", getReq("/?type=clients&uid=a&limit=1e3"), wantBad, nil},
		{"clients bad cursor", getReq("/?type=clients&uid=a&cursor=%21%21"), wantBad, nil},
		{"clients without uid", getReq("/?type=clients"), wantBad, nil},
		{"clients uid[]", getReq("/?type=clients&uid[]=a"), wantBad, nil},
		// Unknown types stay the original's fail.
		{"type sendToAll unknown", getReq("/?type=sendToAll&content=x"), wantFail, nil},
		{"type Kick is case-sensitive", getReq("/?type=Kick&uid=a"), wantFail, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pub := onlineRecorder("a", "c1")
			base := serveAPI(t, pub, testOptions)
			if got := ask(t, base, tt.req); got != tt.want {
				t.Errorf("answer = %+v, want %+v", got, tt.want)
			}
			if calls := pub.published(); !reflect.DeepEqual(calls, tt.calls) {
				t.Errorf("published %+v, want %+v", calls, tt.calls)
			}
		})
	}
}

// TestAPIBatch: a JSON array is that many requests in one Send call,
// answered in order, each bad item failing alone.
func TestAPIBatch(t *testing.T) {
	t.Parallel()
	opts := testOptions
	opts.MaxBatch = 4
	sum := func(body string) string {
		s := sha256.Sum256([]byte(body))
		return hex.EncodeToString(s[:])
	}
	const good = `[{"to":"a","content":"x"},{"client":["c1","c2"],"event":"e","json":{"k":[1]}},{"type":"kick","uid":"b"}]`
	tests := []struct {
		name  string
		req   apiRequest
		want  answer
		calls []send
	}{
		{"good items", jsonReq("/", good), answer{http.StatusOK, `[{"result":"ok","online":["a"],"offline":[]},` +
			`{"result":"ok","online":[],"offline":[],"clients":{"online":["c1"],"offline":["c2"]}},` +
			`{"result":"offline","online":[],"offline":["b"]}]`, jsonType},
			[]send{{to: []string{"a"}, content: "x"}, {clients: []string{"c1", "c2"}, event: "e", json: `{"k":[1]}`},
				{to: []string{"b"}, kick: true, quiet: true}}},
		{"bad items over the limit", jsonReq("/", `[{"to":"a"},7,null,"x",[1],{"to":[["a"]]}]`), wantTooBig, nil},
		{"items of wrong shapes", jsonReq("/", `[7,null,{"to":"a","content":"x"},[1]]`), answer{http.StatusOK,
			`[{"result":"fail","error":"item is not an object"},{"result":"fail","error":"item is not an object"},` +
				`{"result":"ok","online":["a"],"offline":[]},{"result":"fail","error":"item is not an object"}]`, jsonType},
			[]send{{to: []string{"a"}, content: "x"}}},
		{"invalid items", jsonReq("/", `[{"to":[["a"]]},{"type":"count"},{"event":"login"},{"json":1,"content":"x"}]`), answer{http.StatusOK,
			`[{"result":"fail","error":"bad request body: JSON field \"to\" holds a nested value"},{"result":"fail","error":"type must be publish or kick"},` +
				`{"result":"fail","error":"event is reserved: login"},{"result":"fail","error":"content and json are exclusive"}]`, jsonType}, nil},
		{"kick of nobody fails alone", jsonReq("/", `[{"type":"kick"},{"content":"all"}]`), answer{http.StatusOK,
			`[{"result":"fail","error":"a kick names uid or client"},{"result":"ok","online":[],"offline":[]}]`, jsonType},
			[]send{{content: "all"}}},
		{"content escaped in items", jsonReq("/", `[{"to":"a","content":"<b>"}]`), answer{http.StatusOK,
			`[{"result":"ok","online":["a"],"offline":[]}]`, jsonType}, []send{{to: []string{"a"}, content: "&lt;b&gt;"}}},
		{"empty batch", jsonReq("/", `[]`), answer{http.StatusOK, `[]`, jsonType}, nil},
		{"batch at the limit", jsonReq("/", `[{},{},{},{}]`), answer{http.StatusOK, "[" + strings.Repeat(`,{"result":"ok","online":[],"offline":[]}`, 4)[1:] + "]", jsonType},
			slices.Repeat([]send{{}}, 4)},
		{"batch over the limit", jsonReq("/", `[{},{},{},{},{}]`), wantTooBig, nil},
		{"batch not JSON", jsonReq("/", `[{"to":"a"`), wantBad, nil},
		{"batch with data after it", jsonReq("/", `[] []`), wantBad, nil},
		{"batch over max_body", jsonReq("/", `[{"content":"`+strings.Repeat("y", 4096)+`"}]`), wantTooBig, nil},
		{"body_sha256 matches", jsonReq("/?body_sha256="+sum(`[{"to":"a"}]`), `[{"to":"a"}]`), answer{http.StatusOK,
			`[{"result":"ok","online":["a"],"offline":[]}]`, jsonType}, []send{{to: []string{"a"}}}},
		{"body_sha256 does not match", jsonReq("/?body_sha256="+sum(`[{"to":"b"}]`), `[{"to":"a"}]`), wantBad, nil},
		{"body_sha256 upper-case", jsonReq("/?body_sha256="+strings.ToUpper(sum(`[]`)), `[]`), wantBad, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pub := onlineRecorder("a", "c1")
			base := serveAPI(t, pub, opts)
			if got := ask(t, base, tt.req); got != tt.want {
				t.Errorf("answer = %+v,\nwant %+v", got, tt.want)
			}
			if calls := pub.published(); !reflect.DeepEqual(calls, tt.calls) {
				t.Errorf("published %+v, want %+v", calls, tt.calls)
			}
			if n := len(tt.calls); n > 0 {
				if got := pub.sendCalls(); !slices.Equal(got, []int{n}) {
					t.Errorf("Send calls %v, want one of %d", got, n)
				}
			}
		})
	}
}

// TestSignedBatch: with api.signature a batch is signed by its query,
// which must carry body_sha256 of the body.
func TestSignedBatch(t *testing.T) {
	t.Parallel()
	pub := onlineRecorder("a")
	base := serveAPI(t, pub, Options{Access: Access{Secret: testSecret, Signature: true}})
	const body = `[{"to":"a","content":"x"},{"to":"b","content":"y"}]`
	s := sha256.Sum256([]byte(body))
	bodySum := hex.EncodeToString(s[:])
	post := func(query url.Values, body string) answer {
		t.Helper()
		return ask(t, base, jsonReq("/?"+query.Encode(), body))
	}
	sign := func(fields map[string]any) url.Values { return form(signed("POST", "/", fields, time.Now())) }
	nonce := 0
	fresh := func(fields map[string]any) map[string]any {
		nonce++
		fields["auth_nonce"] = fmt.Sprint(nonce)
		return fields
	}
	for _, tt := range []struct {
		name  string
		query url.Values
		body  string
		want  int
	}{
		{"signed with its sum", sign(fresh(map[string]any{"body_sha256": bodySum})), body, http.StatusOK},
		{"signed without a sum", sign(fresh(map[string]any{})), body, http.StatusUnauthorized},
		{"another body under the sum", sign(fresh(map[string]any{"body_sha256": bodySum})), `[{"to":"a","content":"z"}]`, http.StatusUnauthorized},
		{"sum added after signing", func() url.Values {
			q := sign(fresh(map[string]any{}))
			q.Set("body_sha256", bodySum)
			return q
		}(), body, http.StatusUnauthorized},
		{"not signed", url.Values{"body_sha256": {bodySum}}, body, http.StatusUnauthorized},
	} {
		if got := post(tt.query, tt.body); got.status != tt.want {
			t.Errorf("%s: %+v, want status %d", tt.name, got, tt.want)
		}
	}
	if calls := pub.published(); !reflect.DeepEqual(calls, []send{{to: []string{"a"}, content: "x"}, {to: []string{"b"}, content: "y"}}) {
		t.Errorf("published %+v, want the signed batch once", calls)
	}
}
