// Package harness runs the built pushio binary for end-to-end tests: it
// builds it, starts instances on free loopback ports (read back from the
// JSON start-up log line), stops them with SIGTERM then SIGKILL, and keeps
// their output for failure reports. Extra flags and environment let a
// test start several instances on one Redis behind a proxy.
//
// Set PUSHIO_E2E_LOG=1 to see every instance's log as it runs.
package harness
