package hub

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// GroupPrefix starts the room of every group: U+001D, ASCII's Group
// Separator. Uids and client ids never start with it (a login whose uid
// does is ignored, see CheckName; client ids are base64url), so the room
// of group G, GroupPrefix+G, is never a uid's room nor a page's id. It is
// the room name on the Redis adapter wire too: a Node emitter reaches the
// pages of group G with emitter.to("\x1d" + G).
const GroupPrefix = "\x1d"

// MaxNameBytes is the longest uid or group name: each is kept for as long
// as it is used, in memory and in Redis.
const MaxNameBytes = 1024

// GroupRoom is the hub room (and the adapter wire's room) of group g.
func GroupRoom(g string) string { return GroupPrefix + g }

// GroupRooms is GroupRoom of each of groups.
func GroupRooms(groups []string) []string {
	out := make([]string, len(groups))
	for i, g := range groups {
		out[i] = GroupRoom(g)
	}
	return out
}

// Why a name is refused.
var (
	ErrNameEmpty    = errors.New("empty")
	ErrNameTooLong  = fmt.Errorf("longer than %d bytes", MaxNameBytes)
	ErrNameNotUTF8  = errors.New("not valid UTF-8")
	ErrNameReserved = errors.New("starts with U+001D, which starts group rooms")
)

// CheckName says why name cannot be a uid or a group name, or nil: a name
// is 1 to MaxNameBytes bytes of valid UTF-8 that does not start with
// GroupPrefix.
func CheckName(name string) error {
	switch {
	case name == "":
		return ErrNameEmpty
	case len(name) > MaxNameBytes:
		return ErrNameTooLong
	case !utf8.ValidString(name):
		return ErrNameNotUTF8
	case strings.HasPrefix(name, GroupPrefix):
		return ErrNameReserved
	}
	return nil
}
