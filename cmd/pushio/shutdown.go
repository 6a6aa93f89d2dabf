package main

import (
	"context"
	"time"
)

// shutdown stops within cfg.ShutdownTimeout: when drain is set (a signal,
// not a failed listener), /readyz turns 503, new sessions are refused and
// the clients are disconnected over io.drain_window, lame-duck; then stop
// closes the listeners and the cluster, removing this instance's presence.
func (p *instance) shutdown(drain bool, stop func(context.Context)) {
	cfg, log := p.cfg, p.log
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if drain {
		log.Info("shutting down: draining clients", "drain_window", cfg.IO.DrainWindow, "timeout", cfg.ShutdownTimeout)
		if err := p.srv.Drain(ctx, cfg.IO.DrainWindow); err != nil {
			log.Warn("drain cut short by shutdown_timeout", "err", err)
		}
	}
	stop(ctx)
	log.Info("stopped", "took", time.Since(start).Round(time.Millisecond))
}
