package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/viper"
)

// durationFloor is the least value a duration key may take: below it a
// timer fires so often that pushio burns CPU or cuts healthy clients.
type durationFloor struct {
	key   string
	min   time.Duration
	why   string // optional, in parentheses after the floor
	field func(*Config) *time.Duration
}

// durationFloors lists every duration key (a test checks none is missing).
var durationFloors = []durationFloor{
	{"io.ping_interval", time.Second, "", func(c *Config) *time.Duration { return &c.IO.PingInterval }},
	{"io.ping_timeout", 2 * time.Second, "smaller values drop healthy clients under load",
		func(c *Config) *time.Duration { return &c.IO.PingTimeout }},
	{"io.sse_retry", 100 * time.Millisecond, "", func(c *Config) *time.Duration { return &c.IO.SSERetry }},
	{"io.drain_window", time.Second, "", func(c *Config) *time.Duration { return &c.IO.DrainWindow }},
	{"api.header_timeout", time.Second, "", func(c *Config) *time.Duration { return &c.API.HeaderTimeout }},
	{"api.read_timeout", time.Second, "", func(c *Config) *time.Duration { return &c.API.ReadTimeout }},
	{"api.write_timeout", time.Second, "", func(c *Config) *time.Duration { return &c.API.WriteTimeout }},
	{"api.idle_timeout", time.Second, "", func(c *Config) *time.Duration { return &c.API.IdleTimeout }},
	{"api.signature_window", time.Second, "", func(c *Config) *time.Duration { return &c.API.SignatureWindow }},
	{"redis.presence_ttl", 2 * time.Second, "instances heartbeat every presence_ttl/4",
		func(c *Config) *time.Duration { return &c.Redis.PresenceTTL }},
	{"redis.timeout", 100 * time.Millisecond, "", func(c *Config) *time.Duration { return &c.Redis.Timeout }},
	{"counts.interval", 100 * time.Millisecond, "each change is a message to every page",
		func(c *Config) *time.Duration { return &c.Counts.Interval }},
	{"recovery.window", 0, "0 turns recovery off", func(c *Config) *time.Duration { return &c.Recovery.Window }},
	{"shutdown_timeout", 2 * time.Second, "", func(c *Config) *time.Duration { return &c.ShutdownTimeout }},
	{"hold.ttl", 0, "", func(c *Config) *time.Duration { return &c.Hold.TTL }},
	{"hold.max_ttl", time.Second, "", func(c *Config) *time.Duration { return &c.Hold.MaxTTL }},
}

// validateDurations refuses every duration under its floor, with the
// floor and the default as an example.
func (c *Config) validateDurations() []error {
	var errs []error
	for _, f := range durationFloors {
		d := *f.field(c)
		if d >= f.min {
			continue
		}
		rule := "must be at least " + f.min.String()
		if f.why != "" {
			rule += " (" + f.why + ")"
		}
		errs = append(errs, keyError(f.key, d, fmt.Sprintf("%s, e.g. %s", rule, shortDuration(defaults()[f.key].(time.Duration)))))
	}
	return errs
}

// bareDurations refuses a duration key given a bare number, in the file
// (25, which the decoder would read as 25ns) or the environment ("25").
func bareDurations(v *viper.Viper) error {
	var errs []error
	for _, f := range durationFloors {
		raw := v.Get(f.key)
		if s, ok := bareNumber(raw); ok {
			errs = append(errs, keyError(f.key, s,
				fmt.Sprintf("a bare number is not a duration; write the unit, e.g. %ss", s)))
		}
	}
	return errors.Join(errs...)
}

// bareNumber reports whether raw is a number or a string holding only one,
// and prints it.
func bareNumber(raw any) (string, bool) {
	switch x := raw.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return fmt.Sprint(x), true
	case string:
		s := strings.TrimSpace(x)
		_, err := strconv.ParseFloat(s, 64)
		return s, err == nil
	}
	return "", false
}

// shortDuration prints d without its zero parts: 2m, not 2m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
