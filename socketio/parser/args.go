package parser

import (
	"encoding/json"
	"math"
)

// Args decodes Data, a JSON array, into Go values (numbers as float64,
// objects as map[string]any, arrays as []any) and puts back the binary
// attachments: each object whose "_placeholder" is true becomes
// attachments[num] ([]byte). A placeholder whose num is missing, not an
// integer or out of range is an error, and so is a binary packet given
// other than Attachments attachments. Data nil gives nil.
func (p Packet) Args(attachments [][]byte) ([]any, error) {
	if p.Data == nil {
		return nil, nil
	}
	if p.Type.binary() && len(attachments) != p.Attachments {
		return nil, badPacket("%d attachments for a packet that announced %d", len(attachments), p.Attachments)
	}
	var args []any
	if err := json.Unmarshal(p.Data, &args); err != nil {
		return nil, badPacket("data: %w", err)
	}
	if args == nil {
		return nil, badPacket("data is not an array")
	}
	for i, a := range args {
		v, err := reconstruct(a, attachments)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	return args, nil
}

// reconstruct replaces the placeholders in v by their attachments.
func reconstruct(v any, attachments [][]byte) (any, error) {
	switch v := v.(type) {
	case []any:
		for i, e := range v {
			r, err := reconstruct(e, attachments)
			if err != nil {
				return nil, err
			}
			v[i] = r
		}
	case map[string]any:
		if v["_placeholder"] == true {
			return attachment(v["num"], attachments)
		}
		for k, e := range v {
			r, err := reconstruct(e, attachments)
			if err != nil {
				return nil, err
			}
			v[k] = r
		}
	}
	return v, nil
}

func attachment(num any, attachments [][]byte) ([]byte, error) {
	n, ok := num.(float64)
	if !ok || n != math.Trunc(n) || n < 0 || n >= float64(len(attachments)) {
		return nil, badPacket("placeholder num %v for %d attachments", num, len(attachments))
	}
	return attachments[int(n)], nil
}
