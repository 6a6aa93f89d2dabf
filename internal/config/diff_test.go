package config

import (
	"slices"
	"testing"
	"time"
)

func TestChanged(t *testing.T) {
	a, _, err := Load(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := *a
	if got := Changed(a, &b); len(got) != 0 {
		t.Fatalf("identical configs differ in %v", got)
	}
	b.Log.Level = "debug"
	b.Auth.Secret = "another-secret-0123456"
	b.IO.CORSOrigins = []string{"https://example.com"}
	b.ShutdownTimeout = time.Minute
	want := []string{"auth.secret", "io.cors_origins", "log.level", "shutdown_timeout"}
	if got := Changed(a, &b); !slices.Equal(got, want) {
		t.Fatalf("Changed = %v, want %v", got, want)
	}
	if len(flatten(a)) != len(defaults()) {
		t.Fatalf("flatten knows %d keys, defaults %d", len(flatten(a)), len(defaults()))
	}
}
