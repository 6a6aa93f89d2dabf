package config

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// durationKeys are the keys whose default is a duration.
func durationKeys() []string {
	var keys []string
	for key, def := range defaults() {
		if _, ok := def.(time.Duration); ok {
			keys = append(keys, key)
		}
	}
	return keys
}

// TestLoadRefusesBareDurations: a duration written as a bare number (25,
// read as 25ns) is refused in the file and in the environment, naming the
// key, the value and an example with a unit.
func TestLoadRefusesBareDurations(t *testing.T) {
	for _, key := range durationKeys() {
		section, leaf, nested := strings.Cut(key, ".")
		file := key + ": 25\n"
		if nested {
			file = section + ":\n  " + leaf + ": 25\n"
		}
		for _, form := range []string{"file", "env"} {
			t.Run(key+"/"+form, func(t *testing.T) {
				isolate(t)
				args := []string{"--config", writeFile(t, "bare.yaml", "{}\n")}
				if form == "file" {
					args[1] = writeFile(t, "bare.yaml", file)
				} else {
					t.Setenv(EnvName(key), "25")
				}
				_, _, err := Load(args, io.Discard)
				want := fmt.Sprintf(`config: %s "25": a bare number is not a duration; write the unit, e.g. 25s`, key)
				if err == nil || err.Error() != want {
					t.Errorf("error %v, want %q", err, want)
				}
			})
		}
	}
}

// TestValidateDurationFloors: every duration key has a floor, a value
// under it is refused with the floor and an example, and the floor itself
// is accepted.
func TestValidateDurationFloors(t *testing.T) {
	t.Parallel()
	if got, want := len(durationFloors), len(durationKeys()); got != want {
		t.Fatalf("%d duration floors for %d duration keys", got, want)
	}
	for _, f := range durationFloors {
		t.Run(f.key, func(t *testing.T) {
			t.Parallel()
			cfg := defaultConfig(t)
			cfg.ShutdownTimeout = time.Hour // so that drain_window may grow
			*f.field(&cfg) = f.min - time.Nanosecond
			err := cfg.Validate()
			want := fmt.Sprintf("config: %s %q: must be at least %s", f.key, f.min-time.Nanosecond, f.min)
			if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), ", e.g. ") {
				t.Errorf("under the floor: %v, want %q…, e.g. …", err, want)
			}
			*f.field(&cfg) = f.min
			if f.key == "shutdown_timeout" {
				cfg.IO.DrainWindow = time.Second
			}
			if err := cfg.Validate(); err != nil {
				t.Errorf("at the floor: %v", err)
			}
		})
	}
}
