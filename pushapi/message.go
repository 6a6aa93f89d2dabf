package pushapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/pushio/pushio/internal/settings"
	"github.com/pushio/pushio/push"
)

// Fields of a push besides the targets' (targets.go) and type.
const (
	paramEvent   = "event"
	paramContent = "content"
	paramJSON    = "json"
)

// refusal is a request or a batch item refused with a status and why:
// http.StatusOK for the original's fields given wrong (content[]=x,
// to[]=), http.StatusBadRequest for the other fields.
type refusal struct {
	status int
	why    string
}

func (r *refusal) Error() string { return r.why }

// invalid is a refusal with 400.
func invalid(format string, args ...any) *refusal {
	return &refusal{status: http.StatusBadRequest, why: fmt.Sprintf(format, args...)}
}

// eventKickOnly is the one reserved event a kick's message may be:
// GatewayWorker's way to tell a page it was logged out.
const eventKickOnly = "logout"

// readMessage reads event, content and json (of a kick's message when
// kick). present is false when none of them is given (a kick without a
// message).
func readMessage(p params, kick bool) (m push.Message, present bool, err error) {
	event, hasEvent, ok := p.scalar(paramEvent)
	if !ok {
		return m, true, invalid("event must be one value")
	}
	if hasEvent {
		if err := push.CheckEvent(event); err != nil && !(kick && event == eventKickOnly) {
			return m, true, invalid("%v", err)
		}
		m.Event = event
	}
	content, hasContent, okContent := p.scalar(paramContent)
	text, hasJSON, okJSON := p.scalar(paramJSON)
	switch {
	case !okContent:
		return m, true, &refusal{status: http.StatusOK, why: "content must be one value"}
	case !okJSON:
		return m, true, invalid("json must be one value")
	case hasContent && hasJSON:
		return m, true, invalid("content and json are exclusive")
	case hasJSON:
		if m.JSON, err = push.ParseJSON(text); err != nil {
			return m, true, invalid("%v", err)
		}
	default:
		m.Text = HTMLSpecialChars(content)
	}
	return m, hasEvent || hasContent || hasJSON, nil
}

// readTargets reads the targets of a publish (to=, group=, client=,
// exclude=) or, with kick, of a kick (uid=, client=,
// which must name a page). Each is a list (see list).
func readTargets(p params, kick bool) (push.Targets, error) {
	var t push.Targets
	var err error
	uidField := "to"
	if kick {
		uidField = "uid"
	}
	if t.UIDs, err = list(p, uidField); err != nil {
		if kick {
			return t, invalid("uid: %v", err)
		}
		return t, &refusal{status: http.StatusOK, why: "to: " + err.Error()}
	}
	if t.Groups, err = groupList(p, false); err != nil {
		return t, err
	}
	if kick && len(t.Groups) > 0 {
		return t, invalid("a kick names uids or clients, not groups")
	}
	if t.Clients, err = list(p, "client"); err != nil {
		return t, invalid("client: %v", err)
	}
	if t.Exclude, err = list(p, "exclude"); err != nil {
		return t, invalid("exclude: %v", err)
	}
	if kick && t.Broadcast() {
		return t, invalid("a kick names uid or client")
	}
	return t, nil
}

// readRequest reads a publish or (kind "kick") a kick from p, its ttl
// within h.
func readRequest(p params, kind string, h settings.Hold) (push.Request, error) {
	kick := kind == "kick"
	t, err := readTargets(p, kick)
	if err != nil {
		return push.Request{}, err
	}
	m, present, err := readMessage(p, kick)
	if err != nil {
		return push.Request{}, err
	}
	ttl, err := readTTL(p, kick, h)
	if err != nil {
		return push.Request{}, err
	}
	r := push.Request{Targets: t, Kick: kick, Hold: ttl}
	if present || !kick {
		r.Message = &m
	}
	return r, nil
}

// refusalOf is err as a refusal; any other error is a 400.
func refusalOf(err error) *refusal {
	var r *refusal
	if errors.As(err, &r) {
		return r
	}
	return invalid("%v", err)
}
