package recovery

import "slices"

// Entry is one packet a parked page may have missed: its offset and the
// Socket.IO packet's text as the page gets it (the offset its last
// argument).
type Entry struct {
	Offset string
	Packet []byte
}

// Session is what is kept of a page whose connection ended, besides its
// entries.
type Session struct {
	// SID is the socket id the page had and gets back.
	SID string `json:"sid"`
	// LoggedIn says whether it had logged in: as UID (the empty uid logs
	// in too, as in the original), in the groups Own by its own
	// membership (its login token's, joins by its client id).
	LoggedIn bool     `json:"logged_in,omitempty"`
	UID      string   `json:"uid,omitempty"`
	Own      []string `json:"own,omitempty"`
	// Rooms are the rooms it was in besides its SID and UID.
	Rooms []string `json:"rooms,omitempty"`
	// From is the offset the client holds when it has read none of the
	// entries; it and the entries' own offsets are trusted only when
	// Complete (no broadcast the page may have missed was dropped from
	// the instance's ring before it was parked).
	From     string `json:"from"`
	Complete bool   `json:"complete"`
	// Instance numbered the entries that follow the replayed ones the
	// page had been given when it came back last; every broadcast it
	// numbered after Base that picked the page is among them.
	Instance string `json:"instance"`
	Base     uint64 `json:"base"`
}

// Replay picks the entries a client that holds offset has not read; ok
// is false when the offset does not say (a stranger's, a forged one, or
// one from before what was kept), and then the recovery fails.
func Replay(s Session, entries []Entry, offset string) (missed []Entry, ok bool) {
	if s.Complete {
		if offset == s.From {
			return entries, true
		}
		if i := slices.IndexFunc(entries, func(e Entry) bool { return e.Offset == offset }); i >= 0 {
			return entries[i+1:], true
		}
	}
	o, ok := ParseOffset(offset)
	if !ok || o.Instance != s.Instance || o.Seq < s.Base {
		return nil, false
	}
	for i, e := range entries {
		if eo, _ := ParseOffset(e.Offset); eo.Instance == s.Instance && eo.Seq > o.Seq {
			return entries[i:], true
		}
	}
	return nil, true
}

// ValidPID reports whether s can be a pid NewPID made: a client's pid is
// checked before it names a key.
func ValidPID(s string) bool {
	if len(s) != 20 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
