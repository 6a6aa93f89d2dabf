package hub

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestCheckName(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"ascii", "sales", nil},
		{"unicode", "销售部", nil},
		{"longest", strings.Repeat("g", MaxNameBytes), nil},
		{"a separator inside", "a\x1db", nil},
		{"empty", "", ErrNameEmpty},
		{"too long", strings.Repeat("g", MaxNameBytes+1), ErrNameTooLong},
		{"invalid UTF-8", "a\xffb", ErrNameNotUTF8},
		{"a group room's prefix", "\x1dsales", ErrNameReserved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CheckName(tt.in); !errors.Is(got, tt.want) {
				t.Errorf("CheckName(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// TestGroupRoomsAreApart checks a group's room reaches its members only:
// not the page whose uid or id is the group's name.
func TestGroupRoomsAreApart(t *testing.T) {
	h := New[string]()
	byUID, byID, member := &conn{name: "uid"}, &conn{name: "id"}, &conn{name: "member"}
	h.Add("sales", byID)
	h.Add("id-uid", byUID)
	h.Add("id-member", member)
	h.Join(byUID, "sales")
	h.Join(member, GroupRooms([]string{"sales", "ops"})...)
	if n := h.Broadcast([]string{GroupRoom("sales")}, nil, "m"); n != 1 || len(member.take()) != 1 {
		t.Fatalf("the group's room reached %d members, want its member alone", n)
	}
	if len(byUID.take())+len(byID.take()) != 0 {
		t.Error("the uid or id named like the group got the group's message")
	}
	if CheckName(GroupRoom("sales")) == nil {
		t.Error("a group's room is a valid uid: a page could log in into it")
	}
}

// BenchmarkBroadcastGroup10k is a push to a group of 10,000 members among
// 10,000 others: issue 10 wants it within 1.2× of BenchmarkBroadcastAll10k.
func BenchmarkBroadcastGroup10k(b *testing.B) {
	h := New[int]()
	for i := range 20_000 {
		m := &sink{}
		h.Add(fmt.Sprint(i), m)
		if i%2 == 0 {
			h.Join(m, GroupRoom("g"))
		}
	}
	rooms := []string{GroupRoom("g")}
	b.ReportAllocs()
	for b.Loop() {
		h.Broadcast(rooms, nil, 1)
	}
}
