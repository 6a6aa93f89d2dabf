package pushapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pushio/pushio/adapter"
	"github.com/pushio/pushio/internal/settings"
)

// The answers' exact Content-Types.
const (
	htmlType  = "text/html;charset=utf-8" // the original's, byte for byte
	jsonType  = "application/json; charset=utf-8"
	plainType = "text/plain; charset=utf-8"
)

// testOptions keep the limits small so that tests can cross them cheaply.
var testOptions = Options{Requests: settings.Requests{MaxBody: 2048, MaxURL: 512}}

// apiRequest is one HTTP request to the API, as a table row states it.
type apiRequest struct {
	method  string // GET when empty
	target  string // path and query
	ctype   string
	body    string
	accept  string
	chunked bool // send the body with Transfer-Encoding: chunked
}

func getReq(target string) apiRequest { return apiRequest{target: target} }

func formReq(target, body string) apiRequest {
	return apiRequest{method: http.MethodPost, target: target, ctype: "application/x-www-form-urlencoded", body: body}
}

func jsonReq(target, body string) apiRequest {
	return apiRequest{method: http.MethodPost, target: target, ctype: "application/json", body: body}
}

// multipartReq is a multipart/form-data POST of name, value pairs, as
// PHP curl sends an array of fields; a name starting with @ is a file.
func multipartReq(target string, pairs ...string) apiRequest {
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
	return apiRequest{method: http.MethodPost, target: target, ctype: w.FormDataContentType(), body: body.String()}
}

// build makes the request for the API at base.
func (r apiRequest) build(t *testing.T, base string) *http.Request {
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
	req, err := http.NewRequestWithContext(t.Context(), method, base+r.target, body)
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
	return req
}

// ask sends r to the API at base.
func ask(t *testing.T, base string, r apiRequest) answer {
	t.Helper()
	return do(t, http.DefaultClient, r.build(t, base))
}

// The API's plain answers.
var (
	wantOK      = answer{http.StatusOK, "ok", htmlType}
	wantOffline = answer{http.StatusOK, "offline", htmlType}
	wantOnline  = answer{http.StatusOK, "online", htmlType}
	wantFail    = answer{http.StatusOK, "fail", htmlType}
	wantBad     = answer{http.StatusBadRequest, "fail", htmlType}
	wantTooBig  = answer{http.StatusRequestEntityTooLarge, "fail", htmlType}
	wantRefused = answer{http.StatusMethodNotAllowed, "fail", htmlType}
)

// sent is shorthand for one recorded publish.
func sent(content string, uids ...string) []send {
	if len(uids) == 0 {
		uids = nil
	}
	return []send{{to: uids, content: content}}
}

func TestAPI(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 600)
	tests := []struct {
		name string
		req  apiRequest
		want answer
		// calls are the publishes the request must cause; nil is none.
		calls []send
	}{
		// GET and the original's answers.
		{"get online", getReq("/?type=publish&to=a&content=hi"), wantOK, sent("hi", "a")},
		{"get offline still sends", getReq("/?type=publish&to=b&content=hi"), wantOffline, sent("hi", "b")},
		{"any path publishes", getReq("/push/x?type=publish&to=a&content=hi"), wantOK, sent("hi", "a")},
		{"missing content sends empty", getReq("/?type=publish&to=a"), wantOK, sent("", "a")},
		{"no to broadcasts", getReq("/?type=publish&content=hi"), wantOK, sent("hi")},
		{"empty to broadcasts", getReq("/?type=publish&to=&content=hi"), wantOK, sent("hi")},
		{"to=0 is a uid", getReq("/?type=publish&to=0&content=hi"), wantOK, sent("hi", "0")},
		{"to[] list", getReq("/?type=publish&to[]=a&to[]=b&content=hi"), wantOK, sent("hi", "a", "b")},
		{"to[] list escaped brackets", getReq("/?type=publish&to%5B%5D=b&to%5B%5D=a&content=hi"), wantOK, sent("hi", "b", "a")},
		{"to[n] list", getReq("/?type=publish&to[0]=a&to[1]=b&content=hi"), wantOK, sent("hi", "a", "b")},
		{"to comma list", getReq("/?type=publish&to=a,b&content=hi"), wantOK, sent("hi", "a", "b")},
		{"list all offline", getReq("/?type=publish&to=b,c&content=hi"), wantOffline, sent("hi", "b", "c")},
		{"list duplicates and empties dropped", getReq("/?type=publish&to=b,,b,a&content=hi"), wantOK, sent("hi", "b", "a")},
		{"to[]= names nobody", getReq("/?type=publish&to[]=&content=hi"), wantFail, nil},
		{"to=, names nobody", getReq("/?type=publish&to=%2C&content=hi"), wantFail, nil},
		{"later scalar replaces array", getReq("/?type=publish&to[]=b&to=a&content=hi"), wantOK, sent("hi", "a")},
		{"content[] fails", getReq("/?type=publish&to=a&content[]=x"), wantFail, nil},
		{"content[k] fails", getReq("/?type=publish&content[k]=x"), wantFail, nil},
		{"type missing", getReq("/?to=a&content=hi"), wantFail, nil},
		{"type other", getReq("/?type=push&to=a&content=hi"), wantFail, nil},
		{"type is case-sensitive", getReq("/?type=PUBLISH&to=a&content=hi"), wantFail, nil},
		{"type[] fails", getReq("/?type[]=publish&to=a&content=hi"), wantFail, nil},
		{"no query at all", getReq("/"), wantFail, nil},

		// Escaping, once, here.
		{"content escaped", getReq("/?type=publish&to=a&content=%3Cb%3E%27%22%26amp%3B"), wantOK, sent("&lt;b&gt;&#039;&quot;&amp;amp;", "a")},
		{"plus is a space", getReq("/?type=publish&to=a&content=a+b%2Bc"), wantOK, sent("a b+c", "a")},
		{"invalid UTF-8 replaced", getReq("/?type=publish&to=a&content=%FFok%C3"), wantOK, sent("\uFFFDok\uFFFD", "a")},
		{"malformed escapes kept as PHP does", getReq("/?type=publish&to=a&content=a%20b%zz+x%"), wantOK, sent("a b%zz x%", "a")},
		{"non-ASCII kept", getReq("/?type=publish&to=%E7%94%A8%E6%88%B7&content=%E4%BD%A0%E5%A5%BD"), wantOffline, sent("你好", "用户")},

		// type=online and type=count.
		{"online", getReq("/?type=online&uid=a"), wantOnline, nil},
		{"online offline", getReq("/?type=online&uid=b"), wantOffline, nil},
		{"online list", getReq("/?type=online&uid[]=b&uid[]=a"), wantOnline, nil},
		{"online without uid", getReq("/?type=online"), wantFail, nil},
		{"online empty uid", getReq("/?type=online&uid="), wantFail, nil},
		{"count", getReq("/?type=count"), answer{http.StatusOK, `{"uids":2,"pages":3}`, jsonType}, nil},

		// Accept: application/json.
		{"json publish", apiRequest{target: "/?type=publish&to=a,b&content=hi", accept: "application/json"},
			answer{http.StatusOK, `{"result":"ok","online":["a"],"offline":["b"]}`, jsonType}, sent("hi", "a", "b")},
		{"json publish offline", apiRequest{target: "/?type=publish&to=b&content=hi", accept: "text/html, application/json;q=0.9"},
			answer{http.StatusOK, `{"result":"offline","online":[],"offline":["b"]}`, jsonType}, sent("hi", "b")},
		{"json broadcast", apiRequest{target: "/?type=publish&content=hi", accept: "application/json"},
			answer{http.StatusOK, `{"result":"ok","online":[],"offline":[]}`, jsonType}, sent("hi")},
		{"json online", apiRequest{target: "/?type=online&uid=a", accept: "application/json"},
			answer{http.StatusOK, `{"result":"online","online":["a"],"offline":[]}`, jsonType}, nil},
		{"json fail stays text", apiRequest{target: "/?type=other", accept: "application/json"}, wantFail, nil},

		// POST bodies.
		{"urlencoded", formReq("/", "type=publish&to=a&content=hi"), wantOK, sent("hi", "a")},
		{"urlencoded with charset", apiRequest{method: http.MethodPost, target: "/", ctype: "application/x-www-form-urlencoded; charset=UTF-8",
			body: "type=publish&to=a&content=%E4%BD%A0"}, wantOK, sent("你", "a")},
		{"no content type parsed as urlencoded", apiRequest{method: http.MethodPost, target: "/", body: "type=publish&to=a&content=hi"}, wantOK, sent("hi", "a")},
		{"urlencoded list", formReq("/", "type=publish&to%5B0%5D=a&to%5B1%5D=b&content=hi"), wantOK, sent("hi", "a", "b")},
		{"urlencoded content[]", formReq("/", "type=publish&content%5B%5D=x"), wantFail, nil},
		{"multipart", multipartReq("/", "type", "publish", "to", "a", "content", "hi <b>"), wantOK, sent("hi &lt;b&gt;", "a")},
		{"multipart list", multipartReq("/", "type", "publish", "to[]", "a", "to[]", "b", "content", "hi"), wantOK, sent("hi", "a", "b")},
		{"multipart file skipped", multipartReq("/", "type", "publish", "to", "a", "@content", "file body"), wantOK, sent("", "a")},
		{"multipart content[]", multipartReq("/", "type", "publish", "content[]", "x"), wantFail, nil},
		{"json", jsonReq("/", `{"type":"publish","to":"a","content":"hi"}`), wantOK, sent("hi", "a")},
		{"json with charset", apiRequest{method: http.MethodPost, target: "/", ctype: "application/json; charset=utf-8",
			body: `{"type":"publish","to":"a","content":"\u4f60"}`}, wantOK, sent("你", "a")},
		{"json list", jsonReq("/", `{"type":"publish","to":["a","b"],"content":"hi"}`), wantOK, sent("hi", "a", "b")},
		{"json numbers cast as PHP", jsonReq("/", `{"type":"publish","to":[0,1.5,100.0],"content":12}`), wantOK, sent("12", "0", "1.5", "100")},
		{"json null to broadcasts", jsonReq("/", `{"type":"publish","to":null,"content":"hi"}`), wantOK, sent("hi")},
		{"json object content fails", jsonReq("/", `{"type":"publish","to":"a","content":{"x":1}}`), wantFail, nil},
		{"json array content fails", jsonReq("/", `{"type":"publish","to":"a","content":["x"]}`), wantFail, nil},
		{"json count", jsonReq("/", `{"type":"count"}`), answer{http.StatusOK, `{"uids":2,"pages":3}`, jsonType}, nil},

		// Query and body merged, the body winning.
		{"merge body wins", formReq("/?type=publish&to=a&content=query", "content=body"), wantOK, sent("body", "a")},
		{"merge body to wins", formReq("/?type=publish&to=a&content=x", "to=b"), wantOffline, sent("x", "b")},
		{"merge scalar body replaces query list", formReq("/?type=publish&to[]=b&to[]=c&content=x", "to=a"), wantOK, sent("x", "a")},
		{"merge json body", jsonReq("/?type=publish&to=a", `{"content":"j"}`), wantOK, sent("j", "a")},
		{"merge multipart body", multipartReq("/?type=publish&to=a&content=q", "content", "m"), wantOK, sent("m", "a")},
		{"post with empty body uses query", formReq("/?type=publish&to=a&content=q", ""), wantOK, sent("q", "a")},
		{"body type wins", formReq("/?type=publish&to=a&content=q", "type=other"), wantFail, nil},

		// Transfer and shape of the body.
		{"chunked post", apiRequest{method: http.MethodPost, target: "/", ctype: "application/x-www-form-urlencoded",
			body: "type=publish&to=a&content=chunked", chunked: true}, wantOK, sent("chunked", "a")},
		{"chunked json", apiRequest{method: http.MethodPost, target: "/", ctype: "application/json",
			body: `{"type":"publish","content":"c"}`, chunked: true}, wantOK, sent("c")},
		{"malformed json", jsonReq("/?type=publish&content=q", `{"type":`), wantBad, nil},
		{"json not an object", jsonReq("/?type=publish&content=q", `"publish"`), wantBad, nil},
		{"json array is a batch", jsonReq("/?type=publish&content=q", `["publish"]`),
			answer{http.StatusOK, `[{"result":"fail","error":"item is not an object"}]`, jsonType}, nil},
		{"json nested list", jsonReq("/", `{"type":"publish","to":[["a"]],"content":"x"}`), wantBad, nil},
		{"empty json body", jsonReq("/?type=publish&content=q", ``), wantBad, nil},
		{"multipart without boundary", apiRequest{method: http.MethodPost, target: "/?type=publish&content=q",
			ctype: "multipart/form-data", body: "x"}, wantBad, nil},
		{"malformed multipart", apiRequest{method: http.MethodPost, target: "/?type=publish&content=q",
			ctype: "multipart/form-data; boundary=XYZ", body: "--XYZ\r\nContent-Disposition: form-data; name=\"content\"\r\n\r\nunterminated"}, wantBad, nil},

		// Limits.
		{"url over limit", getReq("/?type=publish&to=a&content=" + long), wantTooBig, nil},
		{"url at limit", getReq("/?type=publish&to=a&content=" + long[:512-len("/?type=publish&to=a&content=")]), wantOK,
			sent(long[:512-len("/?type=publish&to=a&content=")], "a")},
		{"body over limit", formReq("/", "type=publish&to=a&content="+strings.Repeat("y", 2048)), wantTooBig, nil},
		{"chunked body over limit", apiRequest{method: http.MethodPost, target: "/", ctype: "application/x-www-form-urlencoded",
			body: "type=publish&content=" + strings.Repeat("y", 4096), chunked: true}, wantTooBig, nil},
		{"chunked json over limit", apiRequest{method: http.MethodPost, target: "/", ctype: "application/json",
			body: `{"type":"publish","content":"` + strings.Repeat("y", 4096) + `"}`, chunked: true}, wantTooBig, nil},
		{"chunked multipart over limit", func() apiRequest {
			r := multipartReq("/", "type", "publish", "content", strings.Repeat("y", 4096))
			r.chunked = true
			return r
		}(), wantTooBig, nil},

		// Methods and reserved paths.
		{"put refused", apiRequest{method: http.MethodPut, target: "/?type=publish&content=x"}, wantRefused, nil},
		{"delete refused", apiRequest{method: http.MethodDelete, target: "/?type=publish&content=x"}, wantRefused, nil},
		{"patch refused", apiRequest{method: http.MethodPatch, target: "/", ctype: "application/x-www-form-urlencoded", body: "type=publish&content=x"}, wantRefused, nil},
		{"options refused", apiRequest{method: http.MethodOptions, target: "/?type=publish&content=x"}, wantRefused, nil},
		{"head refused without body", apiRequest{method: http.MethodHead, target: "/?type=publish&content=x"},
			answer{http.StatusMethodNotAllowed, "", htmlType}, nil},
		{"healthz", getReq("/healthz?type=publish&content=x"), answer{http.StatusOK, "ok\n", plainType}, nil},
		{"readyz", getReq("/readyz?type=publish&content=x"), answer{http.StatusOK, "ok\n", plainType}, nil},
		{"post healthz does not publish", formReq("/healthz", "type=publish&content=x"), wantRefused, nil},
		{"post readyz/ does not publish", formReq("/readyz/?type=publish&content=x", ""), wantRefused, nil},
		{"post metrics does not publish", formReq("/metrics", "type=publish&content=x"), wantRefused, nil},
		{"healthz below is a path like any", getReq("/healthz/x?type=publish&content=x"), wantOK, sent("x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pub := onlineRecorder("a", "0", "alice")
			pub.counts = adapter.Counts{UIDs: 2, Pages: 3}
			base := serveAPI(t, pub, testOptions)
			got := ask(t, base, tt.req)
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
	base := serveAPI(t, onlineRecorder(), testOptions)
	for _, tt := range []struct{ method, target, allow string }{
		{http.MethodPut, "/", "GET, POST"},
		{http.MethodDelete, "/anything", "GET, POST"},
		{http.MethodPost, "/healthz", "GET"},
		{http.MethodPut, "/readyz", "GET"},
		{http.MethodPost, "/metrics", "GET"},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), tt.method, base+tt.target, nil)
		resp, err := http.DefaultClient.Do(req)
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
	pub := onlineRecorder("a")
	base := serveAPI(t, pub, testOptions)
	ask(t, base, getReq("/?type=online&uid=b,a,b"))
	ask(t, base, getReq("/?type=online&uid[]=c"))
	want := [][]string{{"b", "a"}, {"c"}}
	if asked := pub.onlineAsked(); !reflect.DeepEqual(asked, want) {
		t.Errorf("Online asked %q, want %q", asked, want)
	}
}

func TestAPIPublisherFailure(t *testing.T) {
	t.Parallel()
	down := errors.New("redis: connection refused")
	unavailable := answer{http.StatusServiceUnavailable, "fail", htmlType}
	tests := []struct {
		name string
		pub  *recorder
		req  apiRequest
		want answer
	}{
		{"publish error", &recorder{err: down}, getReq("/?type=publish&to=a&content=x"), unavailable},
		{"broadcast error", &recorder{err: down}, getReq("/?type=publish&content=x"), unavailable},
		{"online error", &recorder{err: down}, getReq("/?type=online&uid=a"), unavailable},
		{"count error", &recorder{err: down}, getReq("/?type=count"), unavailable},
		{"panic answers fail", &recorder{panics: true}, getReq("/?type=publish&content=x"),
			answer{http.StatusInternalServerError, "fail", htmlType}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := serveAPI(t, tt.pub, testOptions)
			if got := ask(t, base, tt.req); got != tt.want {
				t.Errorf("answer = %+v, want %+v", got, tt.want)
			}
			// The server survives: the next request is answered.
			if got := ask(t, base, getReq("/healthz")); got.status != http.StatusOK {
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
	base := serveAPI(t, onlineRecorder(), opts)
	if got, want := ask(t, base, getReq("/readyz")), (answer{http.StatusOK, "ok\n", plainType}); got != want {
		t.Errorf("ready: %+v, want %+v", got, want)
	}
	down.Store(true)
	if got, want := ask(t, base, getReq("/readyz")), (answer{http.StatusServiceUnavailable, "not ready: redis down\n", plainType}); got != want {
		t.Errorf("not ready: %+v, want %+v", got, want)
	}
	if got, want := ask(t, base, getReq("/healthz")), (answer{http.StatusOK, "ok\n", plainType}); got != want {
		t.Errorf("healthz while not ready: %+v, want %+v", got, want)
	}
}
