package server

import (
	"io"
	"io/fs"
	"net/http"
	"testing"

	"github.com/pushio/pushio/static"
)

func TestClientBundleRevalidates(t *testing.T) {
	want, err := fs.ReadFile(static.FS(), static.ClientBundle)
	if err != nil {
		t.Skipf("the client bundle is not built (make static): %v", err)
	}
	it := startIOTest(t, Options{})
	get := func(t *testing.T, url, etag string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, b
	}
	for _, name := range []string{"/socket.io/socket.io.js", "/socket.io/socket.io.min.js"} {
		t.Run(name, func(t *testing.T) {
			res, body := get(t, it.URL+name, "")
			etag := res.Header.Get("ETag")
			if res.StatusCode != http.StatusOK || string(body) != string(want) || etag == "" ||
				res.Header.Get("Cache-Control") != "public, max-age=0" {
				t.Fatalf("GET %s: %d, %d bytes, headers %v", name, res.StatusCode, len(body), res.Header)
			}
			if res, body := get(t, it.URL+name, etag); res.StatusCode != http.StatusNotModified || len(body) != 0 {
				t.Errorf("GET %s with its ETag: %d, %d bytes; want 304 and no body", name, res.StatusCode, len(body))
			}
		})
	}
}
