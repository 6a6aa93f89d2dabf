package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// wrkResult is what wrk printed for one run against a publish URL.
type wrkResult struct {
	Requests int64   `json:"requests"`
	ReqPerS  float64 `json:"req_per_s"`
	P99Ms    float64 `json:"p99_ms"`
	Non2xx   int64   `json:"non_2xx"`
	Errors   int64   `json:"socket_errors"`
	// CPUPerReqUs is the server's CPU time per request, in µs: what the
	// processes of -pid used from pushbench's start (with wrk's, in one
	// pipeline) to the end of wrk's report.
	CPUPerReqUs float64 `json:"cpu_per_req_us,omitempty"`
}

// wrkRun parses wrk's report on stdin and, with pids, measures their CPU
// time while wrk ran.
func wrkRun(pids []int, stdin io.Reader) (*wrkResult, error) {
	var t0 int64
	if len(pids) > 0 {
		var err error
		if t0, err = cpuTicks(pids); err != nil {
			return nil, err
		}
	}
	w, err := parseWrk(stdin)
	if err != nil || len(pids) == 0 {
		return w, err
	}
	t1, err := cpuTicks(pids)
	if err != nil {
		return nil, err
	}
	if w.Requests > 0 {
		w.CPUPerReqUs = float64(t1-t0) / clockTicks * 1e6 / float64(w.Requests)
	}
	return w, nil
}

// parseWrk reads wrk's report (run with --latency) into a result line.
func parseWrk(stdin io.Reader) (*wrkResult, error) {
	w := &wrkResult{}
	var rps, requests bool
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return nil, fmt.Errorf("wrk: Requests/sec %q: %w", f[1], err)
			}
			w.ReqPerS, rps = v, true
		case len(f) >= 2 && f[0] == "99%":
			d, err := wrkDuration(f[1])
			if err != nil {
				return nil, err
			}
			w.P99Ms = d
		case len(f) >= 2 && f[1] == "requests" && len(f) > 2 && f[2] == "in":
			v, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("wrk: requests %q: %w", f[0], err)
			}
			w.Requests, requests = v, true
		case len(f) == 5 && f[0] == "Non-2xx":
			w.Non2xx, _ = strconv.ParseInt(f[4], 10, 64)
		case len(f) > 2 && f[0] == "Socket" && f[1] == "errors:":
			for i := 2; i+1 < len(f); i += 2 {
				n, _ := strconv.ParseInt(strings.TrimSuffix(f[i+1], ","), 10, 64)
				w.Errors += n
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("wrk: reading its report: %w", err)
	}
	if !rps || !requests {
		return nil, errors.New("wrk: no Requests/sec or request count in its report")
	}
	return w, nil
}

// wrkDuration reads wrk's 1.23ms, 456.00us, 1.01s as milliseconds.
func wrkDuration(s string) (float64, error) {
	for _, u := range []struct {
		suffix string
		ms     float64
	}{{"us", 0.001}, {"ms", 1}, {"s", 1000}, {"m", 60000}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				break
			}
			return x * u.ms, nil
		}
	}
	return 0, fmt.Errorf("wrk: latency %q", s)
}

// serveBareGin answers the publish API's requests on addr the way a Gin
// handler with no work behind it would: it reads the parameters pushio
// reads (type, to, content, from the query or a form body) and answers
// ok. It is the floor pushio's API is compared with.
func serveBareGin(ctx context.Context, addr string) error {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Any("/", func(c *gin.Context) {
		typ := param(c, "type")
		to := param(c, "to")
		content := param(c, "content")
		if typ != "publish" || content == "" && to == "" {
			c.String(http.StatusBadRequest, "fail")
			return
		}
		c.String(http.StatusOK, "ok")
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("bare gin: %w", err)
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("bare gin: %w", err)
	}
	return nil
}

func param(c *gin.Context, name string) string {
	if v, ok := c.GetQuery(name); ok {
		return v
	}
	return c.PostForm(name)
}
