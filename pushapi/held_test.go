package pushapi

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/pushio/pushio/internal/settings"
)

func TestReadTTL(t *testing.T) {
	t.Parallel()
	on := settings.Hold{TTL: 30 * time.Second, MaxTTL: 300 * time.Second}
	tests := []struct {
		name  string
		query string
		kick  bool
		hold  settings.Hold
		want  time.Duration
		ok    bool
	}{
		{"absent, hold.ttl 0", "", false, settings.Hold{}, 0, true},
		{"absent takes hold.ttl", "", false, on, 30 * time.Second, true},
		{"hold.ttl capped at max", "", false, settings.Hold{TTL: time.Hour, MaxTTL: time.Minute}, time.Minute, true},
		{"zero holds nothing", "ttl=0", false, on, 0, true},
		{"seconds", "ttl=5", false, on, 5 * time.Second, true},
		{"leading zeros", "ttl=007", false, on, 7 * time.Second, true},
		{"at max", "ttl=300", false, on, 300 * time.Second, true},
		{"above max capped", "ttl=301", false, on, 300 * time.Second, true},
		{"default max is 300s", "ttl=1000", false, settings.Hold{}, DefaultHoldMaxTTL, true},
		{"largest accepted", "ttl=2147483647", false, on, 300 * time.Second, true},
		{"too large", "ttl=2147483648", false, on, 0, false},
		{"huge", "ttl=99999999999999999999", false, on, 0, false},
		{"negative", "ttl=-1", false, on, 0, false},
		{"plus sign", "ttl=%2B5", false, on, 0, false},
		{"fraction", "ttl=1.5", false, on, 0, false},
		{"exponent", "ttl=1e3", false, on, 0, false},
		{"word", "ttl=soon", false, on, 0, false},
		{"empty", "ttl=", false, on, 0, false},
		{"space", "ttl=%205", false, on, 0, false},
		{"full-width digit", "ttl=%EF%BC%95", false, on, 0, false},
		{"invalid UTF-8", "ttl=%FF", false, on, 0, false},
		{"array", "ttl[]=5", false, on, 0, false},
		{"kick with ttl", "ttl=5", true, on, 0, false},
		{"kick takes no default", "", true, on, 0, true},
	}
	for _, tt := range tests {
		p := params{}
		parseURLEncoded(tt.query, p)
		got, err := readTTL(p, tt.kick, tt.hold)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("%s: readTTL(%q) = %v, %v; want %v, ok %v", tt.name, tt.query, got, err, tt.want, tt.ok)
		}
		if err != nil && refusalOf(err).status != http.StatusBadRequest {
			t.Errorf("%s: refused with %d, want 400", tt.name, refusalOf(err).status)
		}
	}
}

// TestAPIHeld: ttl= reaches the Publisher, the JSON answer names the uids
// held for, a bad ttl sends nothing, type=held and type=purge answer.
func TestAPIHeld(t *testing.T) {
	t.Parallel()
	held := func(ttl time.Duration, uids ...string) []send {
		s := sent("hi", uids...)
		s[0].ttl = ttl
		return s
	}
	tests := []struct {
		name  string
		req   apiRequest
		want  answer
		calls []send
	}{
		{"offline stays offline", getReq("/?type=publish&to=b&content=hi&ttl=60"), wantOffline, held(time.Minute, "b")},
		{"json names the held", apiRequest{target: "/?type=publish&to=a,b&content=hi&ttl=60", accept: "application/json"},
			answer{http.StatusOK, `{"result":"ok","online":["a"],"offline":["b"],"held":["b"]}`, jsonType}, held(time.Minute, "a", "b")},
		{"json nothing held", apiRequest{target: "/?type=publish&to=a&content=hi&ttl=60", accept: "application/json"},
			answer{http.StatusOK, `{"result":"ok","online":["a"],"offline":[],"held":[]}`, jsonType}, held(time.Minute, "a")},
		{"ttl 0 answers as before", apiRequest{target: "/?type=publish&to=b&content=hi&ttl=0", accept: "application/json"},
			answer{http.StatusOK, `{"result":"offline","online":[],"offline":["b"]}`, jsonType}, sent("hi", "b")},
		{"capped", getReq("/?type=publish&to=b&content=hi&ttl=100000"), wantOffline, held(300*time.Second, "b")},
		{"json body ttl", jsonReq("/", `{"type":"publish","to":"b","content":"hi","ttl":5}`), wantOffline, held(5*time.Second, "b")},
		{"negative", getReq("/?type=publish&to=b&content=hi&ttl=-5"), wantBad, nil},
		{"fraction in json", jsonReq("/", `{"type":"publish","to":"b","content":"hi","ttl":1.5}`), wantBad, nil},
		{"huge", getReq("/?type=publish&to=b&content=hi&ttl=1e99"), wantBad, nil},
		{"ttl[]", getReq("/?type=publish&to=b&content=hi&ttl[]=5"), wantBad, nil},
		{"kick with ttl", getReq("/?type=kick&uid=b&ttl=5"), wantBad, nil},
		{"batch items", jsonReq("/", `[{"to":"b","content":"hi","ttl":9},{"to":"b","content":"hi","ttl":-1}]`),
			answer{http.StatusOK, `[{"result":"offline","online":[],"offline":["b"],"held":["b"]},{"result":"fail","error":"ttl must be 0 to 2147483647 seconds"}]`, jsonType},
			held(9*time.Second, "b")},
		{"held", getReq("/?type=held&uid=bob"), answer{http.StatusOK, "3", htmlType}, nil},
		{"held json", apiRequest{target: "/?type=held&uid=bob", accept: "application/json"},
			answer{http.StatusOK, `{"uid":"bob","held":3}`, jsonType}, nil},
		{"held without uid", getReq("/?type=held"), wantBad, nil},
		{"held uid[]", getReq("/?type=held&uid[]=a"), wantBad, nil},
		{"purge", getReq("/?type=purge&uid=bob"), wantOK, nil},
		{"purge json", apiRequest{target: "/?type=purge&uid=bob", accept: "application/json"},
			answer{http.StatusOK, `{"result":"ok","uid":"bob","purged":3}`, jsonType}, nil},
		{"purge without uid", getReq("/?type=purge&uid="), wantBad, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pub := onlineRecorder("a")
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

// TestAPIHoldTTLDefault: with hold.ttl set every publish without ttl= is
// held that long.
func TestAPIHoldTTLDefault(t *testing.T) {
	t.Parallel()
	pub := onlineRecorder()
	opts := testOptions
	opts.Hold = settings.Hold{TTL: 20 * time.Second}
	base := serveAPI(t, pub, opts)
	ask(t, base, getReq("/?type=publish&to=b&content=hi"))
	ask(t, base, getReq("/?type=publish&to=b&content=hi&ttl=0"))
	if got := pub.published(); len(got) != 2 || got[0].ttl != 20*time.Second || got[1].ttl != 0 {
		t.Fatalf("published %+v, want a ttl of 20s then none", got)
	}
}
