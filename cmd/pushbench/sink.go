package main

import (
	"bytes"
	"strconv"
	"sync/atomic"
	"time"
)

// Contents the publishers send carry their send time, so that any process
// receiving them can measure the delivery latency (one machine, one clock):
//
//	b.SEQ.K.UNIXNANO   broadcast SEQ of K
//	t.UNIXNANO         a targeted publish
//
// They need no URL or HTML escaping.

// maxBroadcasts bounds K; the per-broadcast tallies are fixed arrays.
const maxBroadcasts = 10000

func broadcastContent(seq, k int, at time.Time) string {
	return "b." + strconv.Itoa(seq) + "." + strconv.Itoa(k) + "." + strconv.FormatInt(at.UnixNano(), 10)
}

func targetedContent(at time.Time) string {
	return "t." + strconv.FormatInt(at.UnixNano(), 10)
}

// sink tallies every new_msg this process's clients receive.
type sink struct {
	bcast     bcastTally
	targeted  atomic.Int64
	targetLat hist
	foreign   atomic.Int64 // contents pushbench did not send
}

type bcastTally struct {
	k    atomic.Int64 // K announced by the contents
	got  [maxBroadcasts]atomic.Int64
	last [maxBroadcasts]atomic.Int64 // slowest delivery of each, in µs
	lat  hist
	// dups counts broadcasts a client got again (or out of order); they
	// are not in got.
	dups atomic.Int64
}

// newMsg tallies one content received by a client that has seen *seen
// broadcasts so far.
func (s *sink) newMsg(content []byte, at time.Time, seen *int) {
	fields := bytes.Split(content, []byte("."))
	switch {
	case len(fields) == 4 && string(fields[0]) == "b":
		seq, err1 := strconv.Atoi(string(fields[1]))
		k, err2 := strconv.Atoi(string(fields[2]))
		sent, err3 := strconv.ParseInt(string(fields[3]), 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || seq < 0 || seq >= k || k > maxBroadcasts {
			break
		}
		if seq < *seen {
			s.bcast.dups.Add(1)
			return
		}
		*seen = seq + 1
		s.bcast.record(seq, k, at.Sub(time.Unix(0, sent)))
		return
	case len(fields) == 2 && string(fields[0]) == "t":
		sent, err := strconv.ParseInt(string(fields[1]), 10, 64)
		if err != nil {
			break
		}
		s.targetLat.Record(at.Sub(time.Unix(0, sent)))
		s.targeted.Add(1)
		return
	}
	s.foreign.Add(1)
}

func (b *bcastTally) record(seq, k int, d time.Duration) {
	b.k.Store(int64(k))
	b.lat.Record(d)
	b.got[seq].Add(1)
	storeMax(&b.last[seq], d.Microseconds())
}
