// Package testlog gives tests the logger that pushio's parts take: quiet,
// unless PUSHIO_TEST_LOG is set, when it writes everything to stderr.
package testlog

import (
	"log/slog"
	"os"
)

// EnvVar turns test logs on when set to anything.
const EnvVar = "PUSHIO_TEST_LOG"

// Logger is quiet unless EnvVar is set.
func Logger() *slog.Logger {
	if os.Getenv(EnvVar) == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
