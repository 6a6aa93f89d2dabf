package pushapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/internal/testlog"
)

// The answers' exact Content-Types.
const (
	htmlType  = "text/html;charset=utf-8" // the original's, byte for byte
	jsonType  = "application/json; charset=utf-8"
	plainType = "text/plain; charset=utf-8"
)

// testOptions keep the limits small so that tests can cross them cheaply.
var testOptions = Options{MaxBody: 2048, MaxURL: 512}

// request is one HTTP request to the API.
type request struct {
	method  string // GET when empty
	target  string // path and query
	ctype   string
	body    string
	accept  string
	chunked bool // send the body with Transfer-Encoding: chunked
}

// answer is what the API replied.
type answer struct {
	status int
	ctype  string
	body   string
}

func get(target string) request { return request{target: target} }

func form(target, body string) request {
	return request{method: http.MethodPost, target: target, ctype: "application/x-www-form-urlencoded", body: body}
}

func jsonPost(target, body string) request {
	return request{method: http.MethodPost, target: target, ctype: "application/json", body: body}
}

// multipartPost is a multipart/form-data POST of name, value pairs, as
// PHP curl sends an array of fields; a name starting with @ is a file.
func multipartPost(target string, pairs ...string) request {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for i := 0; i+1 < len(pairs); i += 2 {
		name, value := pairs[i], pairs[i+1]
		var part io.Writer
		var err error
		if file, ok := strings.CutPrefix(name, "@"); ok {
			part, err = w.CreateFormFile(file, "upload.txt")
		} else {
			part, err = w.CreateFormField(name)
		}
		if err != nil {
			panic(err)
		}
		_, _ = io.WriteString(part, value)
	}
	_ = w.Close()
	return request{method: http.MethodPost, target: target, ctype: w.FormDataContentType(), body: body.String()}
}

// startAPI serves the API over real HTTP on 127.0.0.1:0.
func startAPI(t *testing.T, pub Publisher, opts Options) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(New(pub, opts, testlog.Logger()))
	t.Cleanup(srv.Close)
	return srv
}

func send(t *testing.T, srv *httptest.Server, r request) answer {
	t.Helper()
	method := r.method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if r.body != "" || r.method == http.MethodPost {
		body = strings.NewReader(r.body)
		if r.chunked {
			body = struct{ io.Reader }{body} // unknown length: chunked
		}
	}
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+r.target, body)
	if err != nil {
		t.Fatal(err)
	}
	if r.chunked {
		req.ContentLength = -1
		req.TransferEncoding = []string{"chunked"}
	}
	if r.ctype != "" {
		req.Header.Set("Content-Type", r.ctype)
	}
	if r.accept != "" {
		req.Header.Set("Accept", r.accept)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, r.target, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading answer: %v", method, r.target, err)
	}
	return answer{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), body: string(got)}
}

var (
	ok      = answer{http.StatusOK, htmlType, "ok"}
	offline = answer{http.StatusOK, htmlType, "offline"}
	online  = answer{http.StatusOK, htmlType, "online"}
	fail    = answer{http.StatusOK, htmlType, "fail"}
	bad     = answer{http.StatusBadRequest, htmlType, "fail"}
	tooBig  = answer{http.StatusRequestEntityTooLarge, htmlType, "fail"}
	refused = answer{http.StatusMethodNotAllowed, htmlType, "fail"}
)

// to is shorthand for one recorded publish.
func to(content string, uids ...string) []published {
	if len(uids) == 0 {
		uids = nil
	}
	return []published{{To: uids, Content: content}}
}

func TestAPI(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 600)
	tests := []struct {
		name string
		req  request
		want answer
		// calls are the publishes the request must cause; nil is none.
		calls []published
	}{
		// GET and the original's answers.
		{"get online", get("/?type=publish&to=a&content=hi"), ok, to("hi", "a")},
		{"get offline still sends", get("/?type=publish&to=b&content=hi"), offline, to("hi", "b")},
		{"any path publishes", get("/push/x?type=publish&to=a&content=hi"), ok, to("hi", "a")},
		{"missing content sends empty", get("/?type=publish&to=a"), ok, to("", "a")},
		{"no to broadcasts", get("/?type=publish&content=hi"), ok, to("hi")},
		{"empty to broadcasts", get("/?type=publish&to=&content=hi"), ok, to("hi")},
		{"to=0 is a uid", get("/?type=publish&to=0&content=hi"), ok, to("hi", "0")},
		{"to[] list", get("/?type=publish&to[]=a&to[]=b&content=hi"), ok, to("hi", "a", "b")},
		{"to[] list escaped brackets", get("/?type=publish&to%5B%5D=b&to%5B%5D=a&content=hi"), ok, to("hi", "b", "a")},
		{"to[n] list", get("/?type=publish&to[0]=a&to[1]=b&content=hi"), ok, to("hi", "a", "b")},
		{"to comma list", get("/?type=publish&to=a,b&content=hi"), ok, to("hi", "a", "b")},
		{"list all offline", get("/?type=publish&to=b,c&content=hi"), offline, to("hi", "b", "c")},
		{"list duplicates and empties dropped", get("/?type=publish&to=b,,b,a&content=hi"), ok, to("hi", "b", "a")},
		{"to[]= names nobody", get("/?type=publish&to[]=&content=hi"), fail, nil},
		{"to=, names nobody", get("/?type=publish&to=%2C&content=hi"), fail, nil},
		{"later scalar replaces array", get("/?type=publish&to[]=b&to=a&content=hi"), ok, to("hi", "a")},
		{"content[] fails", get("/?type=publish&to=a&content[]=x"), fail, nil},
		{"content[k] fails", get("/?type=publish&content[k]=x"), fail, nil},
		{"type missing", get("/?to=a&content=hi"), fail, nil},
		{"type other", get("/?type=push&to=a&content=hi"), fail, nil},
		{"type is case-sensitive", get("/?type=PUBLISH&to=a&content=hi"), fail, nil},
		{"type[] fails", get("/?type[]=publish&to=a&content=hi"), fail, nil},
		{"no query at all", get("/"), fail, nil},

		// Escaping, once, here.
		{"content escaped", get("/?type=publish&to=a&content=%3Cb%3E%27%22%26amp%3B"), ok, to("&lt;b&gt;&#039;&quot;&amp;amp;", "a")},
		{"plus is a space", get("/?type=publish&to=a&content=a+b%2Bc"), ok, to("a b+c", "a")},
		{"invalid UTF-8 replaced", get("/?type=publish&to=a&content=%FFok%C3"), ok, to("\uFFFDok\uFFFD", "a")},
		{"malformed escapes kept as PHP does", get("/?type=publish&to=a&content=a%20b%zz+x%"), ok, to("a b%zz x%", "a")},
		{"non-ASCII kept", get("/?type=publish&to=%E7%94%A8%E6%88%B7&content=%E4%BD%A0%E5%A5%BD"), offline, to("你好", "用户")},

		// type=online and type=count.
		{"online", get("/?type=online&uid=a"), online, nil},
		{"online offline", get("/?type=online&uid=b"), offline, nil},
		{"online list", get("/?type=online&uid[]=b&uid[]=a"), online, nil},
		{"online without uid", get("/?type=online"), fail, nil},
		{"online empty uid", get("/?type=online&uid="), fail, nil},
		{"count", get("/?type=count"), answer{http.StatusOK, jsonType, `{"uids":2,"pages":3}`}, nil},

		// Accept: application/json.
		{"json publish", request{target: "/?type=publish&to=a,b&content=hi", accept: "application/json"},
			answer{http.StatusOK, jsonType, `{"result":"ok","online":["a"],"offline":["b"]}`}, to("hi", "a", "b")},
		{"json publish offline", request{target: "/?type=publish&to=b&content=hi", accept: "text/html, application/json;q=0.9"},
			answer{http.StatusOK, jsonType, `{"result":"offline","online":[],"offline":["b"]}`}, to("hi", "b")},
		{"json broadcast", request{target: "/?type=publish&content=hi", accept: "application/json"},
			answer{http.StatusOK, jsonType, `{"result":"ok","online":[],"offline":[]}`}, to("hi")},
		{"json online", request{target: "/?type=online&uid=a", accept: "application/json"},
			answer{http.StatusOK, jsonType, `{"result":"online","online":["a"],"offline":[]}`}, nil},
		{"json fail stays text", request{target: "/?type=other", accept: "application/json"}, fail, nil},

		// POST bodies.
		{"urlencoded", form("/", "type=publish&to=a&content=hi"), ok, to("hi", "a")},
		{"urlencoded with charset", request{method: http.MethodPost, target: "/", ctype: "application/x-www-form-urlencoded; charset=UTF-8",
			body: "type=publish&to=a&content=%E4%BD%A0"}, ok, to("你", "a")},
		{"no content type parsed as urlencoded", request{method: http.MethodPost, target: "/", body: "type=publish&to=a&content=hi"}, ok, to("hi", "a")},
		{"urlencoded list", form("/", "type=publish&to%5B0%5D=a&to%5B1%5D=b&content=hi"), ok, to("hi", "a", "b")},
		{"urlencoded content[]", form("/", "type=publish&content%5B%5D=x"), fail, nil},
		{"multipart", multipartPost("/", "type", "publish", "to", "a", "content", "hi <b>"), ok, to("hi &lt;b&gt;", "a")},
		{"multipart list", multipartPost("/", "type", "publish", "to[]", "a", "to[]", "b", "content", "hi"), ok, to("hi", "a", "b")},
		{"multipart file skipped", multipartPost("/", "type", "publish", "to", "a", "@content", "file body"), ok, to("", "a")},
		{"multipart content[]", multipartPost("/", "type", "publish", "content[]", "x"), fail, nil},
		{"json", jsonPost("/", `{"type":"publish","to":"a","content":"hi"}`), ok, to("hi", "a")},
		{"json with charset", request{method: http.MethodPost, target: "/", ctype: "application/json; charset=utf-8",
			body: `{"type":"publish","to":"a","content":"\u4f60"}`}, ok, to("你", "a")},
		{"json list", jsonPost("/", `{"type":"publish","to":["a","b"],"content":"hi"}`), ok, to("hi", "a", "b")},
		{"json numbers cast as PHP", jsonPost("/", `{"type":"publish","to":[0,1.5,100.0],"content":12}`), ok, to("12", "0", "1.5", "100")},
		{"json null to broadcasts", jsonPost("/", `{"type":"publish","to":null,"content":"hi"}`), ok, to("hi")},
		{"json object content fails", jsonPost("/", `{"type":"publish","to":"a","content":{"x":1}}`), fail, nil},
		{"json array content fails", jsonPost("/", `{"type":"publish","to":"a","content":["x"]}`), fail, nil},
		{"json count", jsonPost("/", `{"type":"count"}`), answer{http.StatusOK, jsonType, `{"uids":2,"pages":3}`}, nil},

		// Query and body merged, the body winning.
		{"merge body wins", form("/?type=publish&to=a&content=query", "content=body"), ok, to("body", "a")},
		{"merge body to wins", form("/?type=publish&to=a&content=x", "to=b"), offline, to("x", "b")},
		{"merge scalar body replaces query list", form("/?type=publish&to[]=b&to[]=c&content=x", "to=a"), ok, to("x", "a")},
		{"merge json body", jsonPost("/?type=publish&to=a", `{"content":"j"}`), ok, to("j", "a")},
		{"merge multipart body", multipartPost("/?type=publish&to=a&content=q", "content", "m"), ok, to("m", "a")},
		{"post with empty body uses query", form("/?type=publish&to=a&content=q", ""), ok, to("q", "a")},
		{"body type wins", form("/?type=publish&to=a&content=q", "type=other"), fail, nil},

		// Transfer and shape of the body.
		{"chunked post", request{method: http.MethodPost, target: "/", ctype: "application/x-www-form-urlencoded",
			body: "type=publish&to=a&content=chunked", chunked: true}, ok, to("chunked", "a")},
		{"chunked json", request{method: http.MethodPost, target: "/", ctype: "application/json",
			body: `{"type":"publish","content":"c"}`, chunked: true}, ok, to("c")},
		{"malformed json", jsonPost("/?type=publish&content=q", `{"type":`), bad, nil},
		{"json not an object", jsonPost("/?type=publish&content=q", `["publish"]`), bad, nil},
		{"json nested list", jsonPost("/", `{"type":"publish","to":[["a"]],"content":"x"}`), bad, nil},
		{"empty json body", jsonPost("/?type=publish&content=q", ``), bad, nil},
		{"multipart without boundary", request{method: http.MethodPost, target: "/?type=publish&content=q",
			ctype: "multipart/form-data", body: "x"}, bad, nil},
		{"malformed multipart", request{method: http.MethodPost, target: "/?type=publish&content=q",
			ctype: "multipart/form-data; boundary=XYZ", body: "--XYZ\r\nContent-Disposition: form-data; name=\"content\"\r\n\r\nunterminated"}, bad, nil},

		// Limits.
		{"url over limit", get("/?type=publish&to=a&content=" + long), tooBig, nil},
		{"url at limit", get("/?type=publish&to=a&content=" + long[:512-len("/?type=publish&to=a&content=")]), ok,
			to(long[:512-len("/?type=publish&to=a&content=")], "a")},
		{"body over limit", form("/", "type=publish&to=a&content="+strings.Repeat("y", 2048)), tooBig, nil},
		{"chunked body over limit", request{method: http.MethodPost, target: "/", ctype: "application/x-www-form-urlencoded",
			body: "type=publish&content=" + strings.Repeat("y", 4096), chunked: true}, tooBig, nil},
		{"chunked json over limit", request{method: http.MethodPost, target: "/", ctype: "application/json",
			body: `{"type":"publish","content":"` + strings.Repeat("y", 4096) + `"}`, chunked: true}, tooBig, nil},
		{"chunked multipart over limit", func() request {
			r := multipartPost("/", "type", "publish", "content", strings.Repeat("y", 4096))
			r.chunked = true
			return r
		}(), tooBig, nil},

		// Methods and reserved paths.
		{"put refused", request{method: http.MethodPut, target: "/?type=publish&content=x"}, refused, nil},
		{"delete refused", request{method: http.MethodDelete, target: "/?type=publish&content=x"}, refused, nil},
		{"patch refused", request{method: http.MethodPatch, target: "/", ctype: "application/x-www-form-urlencoded", body: "type=publish&content=x"}, refused, nil},
		{"options refused", request{method: http.MethodOptions, target: "/?type=publish&content=x"}, refused, nil},
		{"head refused without body", request{method: http.MethodHead, target: "/?type=publish&content=x"},
			answer{http.StatusMethodNotAllowed, htmlType, ""}, nil},
		{"healthz", get("/healthz?type=publish&content=x"), answer{http.StatusOK, plainType, "ok\n"}, nil},
		{"readyz", get("/readyz?type=publish&content=x"), answer{http.StatusOK, plainType, "ok\n"}, nil},
		{"post healthz does not publish", form("/healthz", "type=publish&content=x"), refused, nil},
		{"post readyz/ does not publish", form("/readyz/?type=publish&content=x", ""), refused, nil},
		{"healthz below is a path like any", get("/healthz/x?type=publish&content=x"), ok, to("x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pub := newFake("a", "0", "alice")
			pub.counts = adapter.Counts{UIDs: 2, Pages: 3}
			srv := startAPI(t, pub, testOptions)
			got := send(t, srv, tt.req)
			if got != tt.want {
				t.Errorf("answer = %+v, want %+v", got, tt.want)
			}
			if calls := pub.published(); !reflect.DeepEqual(calls, tt.calls) {
				t.Errorf("published %+v, want %+v", calls, tt.calls)
			}
		})
	}
}

// TestAPIRefusalHeaders checks the Allow header of every refusal.
func TestAPIRefusalHeaders(t *testing.T) {
	t.Parallel()
	srv := startAPI(t, newFake(), testOptions)
	for _, tt := range []struct{ method, target, allow string }{
		{http.MethodPut, "/", "GET, POST"},
		{http.MethodDelete, "/anything", "GET, POST"},
		{http.MethodPost, "/healthz", "GET"},
		{http.MethodPut, "/readyz", "GET"},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+tt.target, nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if got := resp.Header.Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: Allow = %q, want %q", tt.method, tt.target, got, tt.allow)
		}
	}
}

// TestAPIOnlineAsks checks what type=online asks the Publisher.
func TestAPIOnlineAsks(t *testing.T) {
	t.Parallel()
	pub := newFake("a")
	srv := startAPI(t, pub, testOptions)
	send(t, srv, get("/?type=online&uid=b,a,b"))
	send(t, srv, get("/?type=online&uid[]=c"))
	want := [][]string{{"b", "a"}, {"c"}}
	if asked := pub.onlineAsked(); !reflect.DeepEqual(asked, want) {
		t.Errorf("Online asked %q, want %q", asked, want)
	}
}

func TestAPIPublisherFailure(t *testing.T) {
	t.Parallel()
	down := errors.New("redis: connection refused")
	unavailable := answer{http.StatusServiceUnavailable, htmlType, "fail"}
	tests := []struct {
		name string
		pub  *fakePublisher
		req  request
		want answer
	}{
		{"publish error", &fakePublisher{err: down}, get("/?type=publish&to=a&content=x"), unavailable},
		{"broadcast error", &fakePublisher{err: down}, get("/?type=publish&content=x"), unavailable},
		{"online error", &fakePublisher{err: down}, get("/?type=online&uid=a"), unavailable},
		{"count error", &fakePublisher{err: down}, get("/?type=count"), unavailable},
		{"panic answers fail", &fakePublisher{panics: true}, get("/?type=publish&content=x"),
			answer{http.StatusInternalServerError, htmlType, "fail"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startAPI(t, tt.pub, testOptions)
			if got := send(t, srv, tt.req); got != tt.want {
				t.Errorf("answer = %+v, want %+v", got, tt.want)
			}
			// The server survives: the next request is answered.
			if got := send(t, srv, get("/healthz")); got.status != http.StatusOK {
				t.Errorf("after the failure, /healthz answered %+v", got)
			}
		})
	}
}

func TestAPIReady(t *testing.T) {
	t.Parallel()
	var down atomic.Bool
	opts := testOptions
	opts.Ready = func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); !ok {
			return errors.New("no deadline on the readiness check")
		}
		if down.Load() {
			return errors.New("redis down")
		}
		return nil
	}
	srv := startAPI(t, newFake(), opts)
	if got, want := send(t, srv, get("/readyz")), (answer{http.StatusOK, plainType, "ok\n"}); got != want {
		t.Errorf("ready: %+v, want %+v", got, want)
	}
	down.Store(true)
	if got, want := send(t, srv, get("/readyz")), (answer{http.StatusServiceUnavailable, plainType, "not ready: redis down\n"}); got != want {
		t.Errorf("not ready: %+v, want %+v", got, want)
	}
	if got, want := send(t, srv, get("/healthz")), (answer{http.StatusOK, plainType, "ok\n"}); got != want {
		t.Errorf("healthz while not ready: %+v, want %+v", got, want)
	}
}
