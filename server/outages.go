package server

import (
	"time"

	"github.com/pushio/pushio/internal/outage"
)

// pageOutages follow the store calls made on behalf of pages (to Redis,
// in a cluster), one outage.Log for each kind: with Redis away, a line when
// a kind starts failing, one a minute while it lasts and one when it works
// again, where 16,000 pages reconnecting logged 16,000 lines of each
// (login, logout, park, take). Each field is safe for concurrent use.
type pageOutages struct {
	login, logout, groups, hold, park, take, queue outage.Log
}

// report records the outcome of a call followed by o, named what; attrs
// go on its failure lines (those of the first failure, or of a reminder).
func (s *Server) report(o *outage.Log, what string, err error, attrs ...any) {
	if err != nil {
		o.Failure(s.log, what, err, time.Now(), attrs...)
		return
	}
	o.Success(s.log, what, time.Now())
}
