package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version and commit are set at build time (make build, make dist) with
// -ldflags "-X main.version=… -X main.commit=…".
var (
	version = "dev"
	commit  = ""
)

// versionLine is what --version prints: the version, the commit (from the
// build flags, else from the VCS stamp go build records) and the Go
// release that built the binary.
func versionLine() string {
	c := commit
	if c == "" {
		c = vcsRevision()
	}
	return fmt.Sprintf("pushio %s (commit %s, %s)", version, c, runtime.Version())
}

// vcsRevision is the commit go build stamped into the binary, with
// "-dirty" for a modified tree; "unknown" without a stamp (go test, a
// tree without git).
func vcsRevision() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "unknown"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}
