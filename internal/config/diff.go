package config

import (
	"fmt"
	"reflect"
	"sort"
)

// Changed lists, sorted, the keys whose values differ between a and b.
func Changed(a, b *Config) []string {
	va, vb := flatten(a), flatten(b)
	var keys []string
	for key, v := range va {
		if vb[key] != v {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	return keys
}

// flatten maps every key of c to its value, printed.
func flatten(c *Config) map[string]string {
	out := map[string]string{}
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		for i := range v.NumField() {
			tag := v.Type().Field(i).Tag.Get("mapstructure")
			key := prefix + tag
			if f := v.Field(i); tag == ",squash" {
				walk(prefix, f) // a settings struct: its keys are the section's
			} else if f.Kind() == reflect.Struct {
				walk(key+".", f)
			} else {
				out[key] = fmt.Sprint(f.Interface())
			}
		}
	}
	walk("", reflect.ValueOf(c).Elem())
	return out
}
