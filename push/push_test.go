package push

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestCheckEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		event string
		want  error
	}{
		{"new_msg", nil},
		{"a", nil},
		{"order.paid:v2-x_Y9", nil},
		{strings.Repeat("x", 64), nil},
		{strings.Repeat("x", 65), ErrEventName},
		{"", ErrEventName},
		{"a b", ErrEventName},
		{"a/b", ErrEventName},
		{"é", ErrEventName},
		{"\xff", ErrEventName},
		{"a\x00", ErrEventName},
		{"a\n", ErrEventName},
		{"login", ErrEventReserved},
		{"logout", ErrEventReserved},
		{"update_online_count", ErrEventReserved},
		{"connect", ErrEventReserved},
		{"disconnecting", ErrEventReserved},
		{"newListener", ErrEventReserved},
		{"message", ErrEventReserved},
		{"Message", nil},
	}
	for _, tt := range tests {
		if err := CheckEvent(tt.event); !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
			t.Errorf("CheckEvent(%q) = %v, want %v", tt.event, err, tt.want)
		}
	}
}

func TestParseJSON(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`{ "a" : [ 1 , 2.5e3 ] }`, `{"a":[1,2.5e3]}`},
		{` "x" `, `"x"`},
		{`null`, `null`},
		{`"\u00e9<>"`, `"\u00e9<>"`},
		{`"你好"`, `"你好"`},
		{`{`, ""},
		{``, ""},
		{`1 2`, ""},
		{`{"a":1}x`, ""},
		{"\"\xff\"", ""},
		{`NaN`, ""},
		{`'x'`, ""},
	}
	for _, tt := range tests {
		got, err := ParseJSON(tt.in)
		if tt.want == "" {
			if !errors.Is(err, ErrJSON) {
				t.Errorf("ParseJSON(%q) = %s, %v; want ErrJSON", tt.in, got, err)
			}
			continue
		}
		if err != nil || string(got) != tt.want {
			t.Errorf("ParseJSON(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestMessage(t *testing.T) {
	t.Parallel()
	if got := (Message{}).Name(); got != DefaultEvent {
		t.Errorf("default name %q", got)
	}
	if got := (Message{Text: "x"}).Arg(); got != "x" {
		t.Errorf("text arg %v", got)
	}
	raw, _ := ParseJSON(`{"a":[1,"b",null]}`)
	want := map[string]any{"a": []any{1.0, "b", nil}}
	if got := (Message{JSON: raw}).Arg(); !reflect.DeepEqual(got, want) {
		t.Errorf("json arg %#v, want %#v", got, want)
	}
}

func TestTargets(t *testing.T) {
	t.Parallel()
	if !(Targets{Exclude: []string{"c"}}).Broadcast() || (Targets{Clients: []string{"c"}}).Broadcast() {
		t.Error("Broadcast: exclude alone is a broadcast, a client is not")
	}
	tg := Targets{UIDs: []string{"u"}, Clients: []string{"c1", "c2"}, Exclude: []string{"c3"}}
	if got := tg.Rooms(); !slices.Equal(got, []string{"u", "c1", "c2"}) {
		t.Errorf("Rooms = %q", got)
	}
	tg = Targets{UIDs: []string{"u", "\x1dg"}, Groups: []string{"g"}}
	if got := tg.Rooms(); !slices.Equal(got, []string{"u", "\x1d", "\x1dg"}) {
		t.Errorf("Rooms = %q: a uid named as a group's room must not be the group's", got)
	}
	if got := (Targets{UIDs: []string{"\x1dg"}}).Rooms(); !slices.Equal(got, []string{"\x1d"}) {
		t.Errorf("Rooms = %q: a uid named as a group's room must be no page's room, not a broadcast", got)
	}
	if (Reach{UIDs: []bool{false}, Clients: []bool{false}}).Any() || !(Reach{Clients: []bool{false, true}}).Any() {
		t.Error("Any")
	}
}
