package recovery

import (
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"strings"
)

// maxOffsetBytes bounds an offset a client sends: an instance id and a
// sequence number are far shorter.
const maxOffsetBytes = 64

// Offset is one packet's place: the instance that numbered it and its
// number there.
type Offset struct {
	Instance string
	Seq      uint64
}

// NewInstance is a random instance id: 6 bytes, URL-safe base64.
func NewInstance() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// NewPID is a private session id as Node's: 15 random bytes, URL-safe
// base64. It is what lets a client claim its session back, so it is as
// hard to guess as a session id.
func NewPID() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// String is the offset as clients get it: "<instance>:<seq>".
func (o Offset) String() string {
	return o.Instance + ":" + strconv.FormatUint(o.Seq, 10)
}

// ParseOffset reads an offset String made; anything else is refused.
func ParseOffset(s string) (Offset, bool) {
	if len(s) > maxOffsetBytes {
		return Offset{}, false
	}
	inst, seq, ok := strings.Cut(s, ":")
	if !ok || inst == "" {
		return Offset{}, false
	}
	n, err := strconv.ParseUint(seq, 10, 64)
	if err != nil {
		return Offset{}, false
	}
	return Offset{Instance: inst, Seq: n}, true
}
