package server

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/zishang520/socket.io/parsers/socket/v3/parser"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// asciiParser encodes every packet's JSON as pure ASCII, non-ASCII runes as
// \uXXXX escapes, as PHP's json_encode does in the original. It is what
// lets socket.io-client 1.x read non-ASCII text over polling: its
// Engine.IO 3 parser UTF-8-decodes each payload once more than 2.x does,
// and ASCII reads the same either way. Clients see identical strings.
type asciiParser struct{ parser.Parser }

func (p asciiParser) NewEncoder() parser.Encoder { return asciiEncoder{p.Parser.NewEncoder()} }

type asciiEncoder struct{ parser.Encoder }

func (e asciiEncoder) Encode(p *parser.Packet) []types.BufferInterface {
	bufs := e.Encoder.Encode(p)
	if len(bufs) == 0 {
		return bufs
	}
	if sb, ok := bufs[0].(*types.StringBuffer); ok {
		text := types.BufferInterface(sb)
		if escaped, changed := asciiJSON(sb.Bytes()); changed {
			text = types.NewStringBuffer(escaped)
		}
		bufs[0] = sharedText{text}
	}
	return bufs
}

// sharedText is an encoded text packet about to be written to one or many
// sockets. Each socket gets its own copy, a plain *types.StringBuffer (the
// library clones what it writes): clients receive the same text frame. Not
// being a *types.StringBuffer itself, it keeps the library's broadcast from
// handing the websocket transport a pre-encoded frame, from which the
// transport builds a gorilla PreparedMessage for every socket and message
// (a 4 KB buffer, a map and a throwaway connection each, v3.0.6); the
// transport's ordinary write copies the text into the connection's own
// write buffer instead.
type sharedText struct{ types.BufferInterface }

func (t sharedText) Clone() types.BufferInterface { return t.BufferInterface.Clone() }

// asciiJSON escapes the non-ASCII runes of an encoded packet's JSON data;
// the namespace before it is left alone, as clients match it byte for byte.
func asciiJSON(b []byte) ([]byte, bool) {
	first := -1
	for i := dataStart(b); i < len(b); i++ {
		if b[i] >= utf8.RuneSelf {
			first = i
			break
		}
	}
	if first < 0 {
		return b, false
	}
	out := make([]byte, first, len(b)+len(b)/2)
	copy(out, b[:first])
	for i := first; i < len(b); {
		if b[i] < utf8.RuneSelf {
			out = append(out, b[i])
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		i += n
		if r >= 0x10000 {
			hi, lo := utf16.EncodeRune(r)
			out = appendU(appendU(out, hi), lo)
			continue
		}
		out = appendU(out, r)
	}
	return out, true
}

// dataStart is where the data of a packet encoded as
// <type>[<attachments>-][<namespace>,][<id>][<data>] begins. A namespace
// ends at its comma: the decoder reads it so, so none holds one.
func dataStart(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	i := 1 + digits(b[1:])
	if i < len(b) && b[i] == '-' {
		i++ // the attachment count
	} else {
		i = 1
	}
	if i < len(b) && b[i] == '/' {
		comma := bytes.IndexByte(b[i:], ',')
		if comma < 0 {
			return len(b) // a namespace and nothing else
		}
		i += comma + 1
	}
	return i + digits(b[i:])
}

// digits counts the ASCII digits at the start of b.
func digits(b []byte) int {
	n := 0
	for n < len(b) && b[n] >= '0' && b[n] <= '9' {
		n++
	}
	return n
}

func appendU(out []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	return append(out, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
}
