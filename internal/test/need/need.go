// Package need is how a test says what it needs from the machine: a
// program on PATH, php-cli with curl. What is missing skips the test on a
// developer's machine and fails it when CI=true, where test/deps.sh has
// installed everything, so CI cannot pass by skipping.
//
// Concurrency: every function is safe for concurrent use.
package need

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// Missing skips t with the reason, or fails t when CI=true.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Program returns the path of program, or calls Missing.
func Program(t testing.TB, program string) string {
	t.Helper()
	path, err := exec.LookPath(program)
	if err != nil {
		Missing(t, "%s is not installed (test/deps.sh installs it)", program)
	}
	return path
}

// PHP returns php-cli's path, or calls Missing when php or its curl
// extension is absent.
func PHP(t testing.TB) string {
	t.Helper()
	php := Program(t, "php")
	if err := exec.Command(php, "-r", `exit(function_exists("curl_init") ? 0 : 1);`).Run(); err != nil {
		Missing(t, "php has no curl extension (test/deps.sh installs php-curl): %v", err)
	}
	return php
}
