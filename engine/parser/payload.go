package parser

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// separator joins the packets of a protocol 4 payload.
const separator = '\x1e'

// DecodePayload decodes the body of a polling POST, whose Content-Type is
// contentType: a text payload, or in protocol 3 a binary one when
// contentType is application/octet-stream (protocol 4 bodies are always
// text, and a binary one is an error). An empty body is an error. Packets
// in text alias body.
func DecodePayload(protocol int, body []byte, contentType string) ([]Packet, error) {
	binary := isBinaryContent(contentType)
	switch {
	case len(body) == 0:
		return nil, badPayload("empty payload")
	case protocol == 3 && binary:
		return decodeBinaryPayload3(body)
	case protocol == 3:
		return decodeTextPayload3(body)
	case binary:
		return nil, badPayload("binary body in protocol 4")
	default:
		return decodePayload4(body)
	}
}

// AppendPayload appends to dst the body of a polling response carrying
// packets, and gives its Content-Type. In protocol 3 the body is binary
// when supportsBinary is set (the client supports binary and did not ask
// for b64) and at least one packet is binary; otherwise, and always in
// protocol 4, it is text with binary messages in base64. packets should
// not be empty (protocol 3 then gives "0:", as Node does, and protocol 4
// an empty body; neither decodes). In protocol 4 a text packet's data must
// not hold '\x1e', which would split it.
func AppendPayload(dst []byte, protocol int, packets []Packet, supportsBinary bool) (body []byte, contentType string) {
	switch {
	case protocol == 3 && supportsBinary && slices.ContainsFunc(packets, isBinary):
		return appendBinaryPayload3(dst, packets), ContentTypeBinary
	case protocol == 3:
		return appendTextPayload3(dst, packets), ContentTypeText
	default:
		return appendPayload4(dst, packets), ContentTypeText
	}
}

func isBinary(p Packet) bool { return p.Binary }

// isBinaryContent reports whether a Content-Type is application/octet-stream.
func isBinaryContent(contentType string) bool {
	media, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(media), ContentTypeBinary)
}

// wrapPacket says which packet of a payload an error is about.
func wrapPacket(i int, err error) error {
	return fmt.Errorf("%w (packet %d of the payload)", err, i)
}

func decodePayload4(body []byte) ([]Packet, error) {
	packets := make([]Packet, 0, 1+bytes.Count(body, []byte{separator}))
	for i := 0; ; i++ {
		end := bytes.IndexByte(body, separator)
		seg := body
		if end >= 0 {
			seg = body[:end]
		}
		p, err := decodeText(4, seg)
		if err != nil {
			return nil, wrapPacket(i, err)
		}
		packets = append(packets, p)
		if end < 0 {
			return packets, nil
		}
		body = body[end+1:]
	}
}

func appendPayload4(dst []byte, packets []Packet) []byte {
	n := len(packets)
	for _, p := range packets {
		n += len(p.Data)
		if p.Binary {
			n += len(p.Data)/2 + 3
		}
	}
	dst = slices.Grow(dst, n)
	for i, p := range packets {
		if i > 0 {
			dst = append(dst, separator)
		}
		dst = appendText(dst, 4, p)
	}
	return dst
}
