package pushapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pushio/pushio/internal/phpcast"
)

// param is one request field as PHP sees it: a plain value (name=v) or an
// array (name[]=v, name[0]=v, name[k]=v, or a JSON array).
type param struct {
	values  []string
	isArray bool
}

// params are a request's fields by base name ("to" for to[0]).
type params map[string]*param

// errBadBody is wrapped by every error about a request body's shape.
var errBadBody = errors.New("bad request body")

// add records name=value with PHP's bracket syntax.
func (p params) add(name, value string) {
	base, isArray := name, false
	if i := strings.IndexByte(name, '['); i > 0 && strings.HasSuffix(name, "]") {
		base, isArray = name[:i], true
	}
	f := p[base]
	if f == nil || f.isArray != isArray {
		// PHP keeps the last assignment of a name: a scalar after an
		// array (or the reverse) replaces it.
		f = &param{isArray: isArray}
		p[base] = f
	}
	if isArray {
		f.values = append(f.values, value)
		return
	}
	f.values = []string{value}
}

// merge lays body over query: a name the body has replaces the query's.
func (p params) merge(body params) {
	for name, f := range body {
		p[name] = f
	}
}

// scalar returns the plain value of name; ok is false when it is an array.
func (p params) scalar(name string) (value string, present, ok bool) {
	f := p[name]
	if f == nil {
		return "", false, true
	}
	if f.isArray {
		return "", true, false
	}
	return f.values[0], true, true
}

// parseURLEncoded reads a=b&c[]=d as PHP's parse_str does: a malformed
// percent escape is kept as it is, not dropped.
func parseURLEncoded(s string, into params) {
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		name, value, _ := strings.Cut(pair, "=")
		name = unescape(name)
		if name == "" {
			continue
		}
		into.add(name, unescape(value))
	}
}

// unescape decodes as PHP's urldecode: + is a space, %XX is a byte, and a
// % not followed by two hex digits is kept as it is.
func unescape(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			b = append(b, ' ')
		case '%':
			if i+2 < len(s) {
				if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
					b = append(b, byte(v))
					i += 2
					continue
				}
			}
			b = append(b, c)
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// readParams collects the request's fields: the query, then the body
// (urlencoded, multipart or JSON) laid over it. A JSON body that is an
// array is a batch: it is returned as read, beside the query's fields.
func readParams(r *http.Request) (params, []byte, error) {
	p := params{}
	parseURLEncoded(r.URL.RawQuery, p)
	if r.Method != http.MethodPost || r.Body == nil {
		return p, nil, nil
	}
	mediaType, mtParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	body := params{}
	switch mediaType {
	case "multipart/form-data":
		if err := readMultipart(r, mtParams["boundary"], body); err != nil {
			return nil, nil, err
		}
	case "application/json":
		raw, err := readAll(r)
		if err != nil {
			return nil, nil, err
		}
		if isBatch(raw) {
			return p, raw, nil
		}
		if err := parseJSONObject(raw, body); err != nil {
			return nil, nil, err
		}
	default:
		raw, err := readAll(r)
		if err != nil {
			return nil, nil, err
		}
		parseURLEncoded(string(raw), body)
	}
	p.merge(body)
	return p, nil, nil
}

// isBatch reports whether a JSON body is an array (a batch).
func isBatch(raw []byte) bool {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	return len(raw) > 0 && raw[0] == '['
}

func readAll(r *http.Request) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r.Body); err != nil {
		return nil, fmt.Errorf("reading body: %w", err)
	}
	return buf.Bytes(), nil
}

// readMultipart keeps the form's text fields; uploaded files are skipped.
func readMultipart(r *http.Request, boundary string, into params) error {
	if boundary == "" {
		return fmt.Errorf("%w: multipart body without a boundary", errBadBody)
	}
	mr := multipart.NewReader(r.Body, boundary)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return maxBytesOr(err, fmt.Errorf("%w: multipart: %v", errBadBody, err))
		}
		name := part.FormName()
		if name == "" || part.FileName() != "" {
			_ = part.Close()
			continue
		}
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(part); err != nil {
			return maxBytesOr(err, fmt.Errorf("%w: multipart field %q: %v", errBadBody, name, err))
		}
		into.add(name, buf.String())
	}
}

// parseJSONObject accepts an object whose values are strings, numbers,
// booleans or arrays of those, as PHP's json_decode would pass them on;
// the json field alone may hold any JSON value, kept as its text. It is
// on the path of every batch item: no decoder, and a string without
// escapes is taken as it stands.
func parseJSONObject(raw []byte, into params) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return fmt.Errorf("%w: JSON: %v", errBadBody, err)
	}
	for name, text := range obj {
		if name == paramJSON {
			into[name] = &param{values: []string{string(text)}}
			continue
		}
		f, err := jsonField(text)
		if err != nil {
			return fmt.Errorf("%w: JSON field %q %v", errBadBody, name, err)
		}
		into[name] = f
	}
	return nil
}

// jsonField is one field of a JSON object (valid JSON, as its object
// was): a scalar, a list of scalars, or (an object) a field that is no
// plain value.
func jsonField(text json.RawMessage) (*param, error) {
	if len(text) > 0 && text[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(text, &list); err != nil {
			return nil, err
		}
		f := &param{isArray: true, values: make([]string, 0, len(list))}
		for _, item := range list {
			s, ok := jsonScalar(item)
			if !ok {
				return nil, errors.New("holds a nested value")
			}
			f.values = append(f.values, s)
		}
		return f, nil
	}
	s, ok := jsonScalar(text)
	if !ok {
		return &param{isArray: true}, nil // an object: not a plain value
	}
	return &param{values: []string{s}}, nil
}

// jsonScalar casts a JSON value (valid JSON) to a string as PHP's
// (string) does; false for an array, an object, or a number no float
// holds.
func jsonScalar(text json.RawMessage) (string, bool) {
	if len(text) == 0 {
		return "", false
	}
	switch text[0] {
	case '"':
		if inner := text[1 : len(text)-1]; bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
			return string(inner), true
		}
		var s string
		if err := json.Unmarshal(text, &s); err != nil {
			return "", false
		}
		return s, true
	case 't':
		return "1", true
	case 'f', 'n':
		return "", true
	case '[', '{':
		return "", false
	}
	x := json.Number(text)
	if i, err := x.Int64(); err == nil {
		return strconv.FormatInt(i, 10), true
	}
	f, err := x.Float64()
	if err != nil {
		return "", false
	}
	return phpcast.Float(f)
}

// maxBytesOr reports a body over the limit as such, else other.
func maxBytesOr(err, other error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return err
	}
	return other
}
