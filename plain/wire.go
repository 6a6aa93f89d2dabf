package plain

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pushio/pushio/internal/metrics"
	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/server"
	"github.com/pushio/pushio/wsconn"
)

// Options configure a Wire; zero durations take the defaults in brackets.
type Options struct {
	// Wires are where the two wires are served on the io port (an empty
	// path is not served) and the reconnection delay an event stream
	// tells its page (retry:) [3s].
	settings.Wires
	// Connection bounds every page. PingInterval is how often a WebSocket
	// page is pinged and an event stream gets a comment line [25s]; a
	// WebSocket page that does not answer within PingInterval +
	// PingTimeout [20s] is dropped. MaxPayload is the largest frame a
	// WebSocket page may send [1 MiB]; MaxQueue and MaxQueueBytes bound
	// what waits for one page (a page past them is dropped as a slow
	// consumer) [no bound].
	settings.Connection
	// Metrics counts slow consumers and oversized frames; nil is none.
	Metrics *metrics.Metrics
}

// Wire is the plain WebSocket and EventSource endpoints of one server.
type Wire struct {
	opts   Options
	srv    *server.Server
	log    *slog.Logger
	poller *wsconn.Poller

	mu    sync.Mutex
	pages map[beater]struct{} // open pages, for the heartbeat
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

// beater is a page the heartbeat visits.
type beater interface{ beat(now time.Time) }

// New mounts the wires on srv (server.Route) and starts their poller and
// heartbeat; Close stops them, after srv has closed its pages.
func New(srv *server.Server, opts Options, log *slog.Logger) (*Wire, error) {
	if opts.PingInterval <= 0 {
		opts.PingInterval = 25 * time.Second
	}
	if opts.PingTimeout <= 0 {
		opts.PingTimeout = 20 * time.Second
	}
	if opts.SSERetry <= 0 {
		opts.SSERetry = 3 * time.Second
	}
	p, err := wsconn.NewPoller(wsconn.Options{MaxMessage: opts.MaxPayload, MaxQueue: opts.MaxQueue, MaxQueueBytes: opts.MaxQueueBytes})
	if err != nil {
		return nil, fmt.Errorf("plain: starting the poller: %w", err)
	}
	w := &Wire{opts: opts, srv: srv, log: log, poller: p, pages: make(map[beater]struct{}),
		stop: make(chan struct{}), done: make(chan struct{})}
	if opts.WSPath != "" {
		srv.Route(opts.WSPath, w.websocketHandler())
	}
	if opts.SSEPath != "" {
		srv.Route(opts.SSEPath, w.eventsHandler())
	}
	go w.heartbeat()
	return w, nil
}

// Close ends what pages remain and stops the poller and the heartbeat.
func (w *Wire) Close() {
	w.once.Do(func() {
		close(w.stop)
		<-w.done
		w.poller.Settle(time.Second)
		_ = w.poller.Close()
	})
}

func (w *Wire) add(b beater) {
	w.mu.Lock()
	w.pages[b] = struct{}{}
	w.mu.Unlock()
}

func (w *Wire) remove(b beater) {
	w.mu.Lock()
	delete(w.pages, b)
	w.mu.Unlock()
}

// heartbeat visits every page a few times per ping interval: one
// goroutine and one ticker for all of them.
func (w *Wire) heartbeat() {
	defer close(w.done)
	t := time.NewTicker(max(min(w.opts.PingInterval, w.opts.PingTimeout)/4, 10*time.Millisecond))
	defer t.Stop()
	var all []beater
	for {
		select {
		case <-w.stop:
			return
		case now := <-t.C:
			w.mu.Lock()
			for b := range w.pages {
				all = append(all, b)
			}
			w.mu.Unlock()
			for i, b := range all {
				b.beat(now)
				all[i] = nil
			}
			all = all[:0]
		}
	}
}

// ended logs and counts why a page's connection ended.
func (w *Wire) ended(transport, id, addr string, err error) {
	switch {
	case err == wsconn.ErrSlow || err == wsconn.ErrWriteTimeout:
		w.log.Warn("client disconnected: slow consumer", "sid", id, "ip", addr, "transport", transport)
		w.opts.Metrics.SlowClientDropped()
	case err == wsconn.ErrTooLarge:
		w.log.Info("client disconnected: message over io.max_payload", "sid", id, "ip", addr, "transport", transport)
		w.opts.Metrics.PayloadTooLarge()
	}
}

// newID is a page's client id, as an Engine.IO session id: 15 random
// bytes, URL-safe.
func newID() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// remoteAddr is what a page reports as its peer.
func remoteAddr(c *wsconn.Conn) string { return c.RemoteAddr().String() }
