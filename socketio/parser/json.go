package parser

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
)

// maxDepth bounds the nesting of encoded values, which stops cycles.
const maxDepth = 1000

var errTooDeep = errors.New("parser: value nested too deep (a cycle?)")

// encoder writes Go values as ASCII JSON, taking []byte values out as
// attachments and writing placeholders in their place.
type encoder struct {
	attachments [][]byte
}

// placeholder is what a binary attachment is replaced by, with its index.
const placeholder = `{"_placeholder":true,"num":`

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// value appends v. The common types take no reflection: strings, numbers,
// booleans, nil, []byte, json.RawMessage, []any, []string and
// map[string]any. Other slices, arrays, string-keyed maps and pointers are
// walked by reflection; structs, other maps and json.Marshaler values go
// through encoding/json (so a []byte inside a struct is base64 there, not
// an attachment), then to ASCII.
func (e *encoder) value(dst []byte, v any, depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, errTooDeep
	}
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return appendString(dst, v), nil
	case bool:
		return strconv.AppendBool(dst, v), nil
	case float64:
		return appendFloat(dst, v, 64), nil
	case float32:
		return appendFloat(dst, float64(v), 32), nil
	case int:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(dst, v, 10), nil
	case json.RawMessage:
		return appendRaw(dst, v)
	case []byte:
		return e.attachment(dst, v), nil
	case []any:
		if v == nil {
			return append(dst, "null"...), nil
		}
		return e.list(dst, len(v), func(dst []byte, i int) ([]byte, error) { return e.value(dst, v[i], depth+1) })
	case []string:
		if v == nil {
			return append(dst, "null"...), nil
		}
		return e.list(dst, len(v), func(dst []byte, i int) ([]byte, error) { return appendString(dst, v[i]), nil })
	case map[string]any:
		if v == nil {
			return append(dst, "null"...), nil
		}
		return e.object(dst, slices.Sorted(maps.Keys(v)), func(dst []byte, k string) ([]byte, error) { return e.value(dst, v[k], depth+1) })
	}
	return e.reflect(dst, reflect.ValueOf(v), depth)
}

func (e *encoder) reflect(dst []byte, rv reflect.Value, depth int) ([]byte, error) {
	t := rv.Type()
	if t.Implements(marshalerType) || t.Implements(textMarshalerType) {
		return appendMarshaled(dst, rv.Interface())
	}
	switch t.Kind() {
	case reflect.Bool:
		return strconv.AppendBool(dst, rv.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(dst, rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.AppendUint(dst, rv.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		return appendFloat(dst, rv.Float(), t.Bits()), nil
	case reflect.String:
		return appendString(dst, rv.String()), nil
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return append(dst, "null"...), nil
		}
		return e.value(dst, rv.Elem().Interface(), depth+1)
	case reflect.Slice:
		if rv.IsNil() {
			return append(dst, "null"...), nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return e.attachment(dst, rv.Bytes()), nil
		}
		fallthrough
	case reflect.Array:
		return e.list(dst, rv.Len(), func(dst []byte, i int) ([]byte, error) { return e.value(dst, rv.Index(i).Interface(), depth+1) })
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			break
		}
		if rv.IsNil() {
			return append(dst, "null"...), nil
		}
		keys := make([]string, 0, rv.Len())
		for _, k := range rv.MapKeys() {
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		return e.object(dst, keys, func(dst []byte, k string) ([]byte, error) {
			return e.value(dst, rv.MapIndex(reflect.ValueOf(k).Convert(t.Key())).Interface(), depth+1)
		})
	}
	return appendMarshaled(dst, rv.Interface())
}

// list appends a JSON array of n elements written by elem.
func (e *encoder) list(dst []byte, n int, elem func([]byte, int) ([]byte, error)) ([]byte, error) {
	dst = append(dst, '[')
	for i := range n {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = elem(dst, i); err != nil {
			return nil, err
		}
	}
	return append(dst, ']'), nil
}

// object appends a JSON object with keys, in that order, and values
// written by val.
func (e *encoder) object(dst []byte, keys []string, val func([]byte, string) ([]byte, error)) ([]byte, error) {
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(appendString(dst, k), ':')
		var err error
		if dst, err = val(dst, k); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

func (e *encoder) attachment(dst, b []byte) []byte {
	dst = append(dst, placeholder...)
	dst = strconv.AppendInt(dst, int64(len(e.attachments)), 10)
	e.attachments = append(e.attachments, b)
	return append(dst, '}')
}

// appendFloat writes f as JSON.stringify does: the shortest decimal that
// reads back as f, in exponent form below 1e-6 and from 1e21; -0 as 0;
// NaN and the infinities as null.
func appendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return append(dst, "null"...)
	case f == 0:
		return append(dst, '0')
	}
	format := byte('f')
	if abs := math.Abs(f); abs < 1e-6 || abs >= 1e21 {
		format = 'e'
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// 1e-07 to 1e-7, as JS writes it.
		if n := len(dst); n-start >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// appendRaw appends already-encoded JSON, checked, in ASCII.
func appendRaw(dst, raw []byte) ([]byte, error) {
	if !json.Valid(raw) {
		return nil, fmt.Errorf("parser: json.RawMessage %.32q is not JSON", raw)
	}
	return ASCII(dst, raw), nil
}

// appendMarshaled appends v as encoding/json writes it, without HTML
// escapes, in ASCII.
func appendMarshaled(dst []byte, v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("parser: encoding %T: %w", v, err)
	}
	return ASCII(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}
