package server

// instrument feeds Options.Metrics the online counts; connections are
// counted by handler.go as sessions open, upgrade and close, deliveries
// where a new_msg is handed out.
func (s *Server) instrument() {
	m := s.opts.Metrics
	if m == nil {
		return
	}
	m.SetOnlineSource(func() (uids, pages int64) {
		c := s.lastCounts.Load()
		return c.UIDs, c.Pages
	})
}
