// Package harness runs the built pushio binary for the tests that need a
// real process (test/e2e, test/browser, test/cluster, cmd/pushio): it
// builds it, starts instances on free loopback ports (read back from the
// JSON start-up log line), stops them with SIGTERM then SIGKILL, and keeps
// their output for failure reports. Extra flags and environment let a
// test start several instances on one Redis behind a proxy.
//
// harness.Main in TestMain builds the binary once per test package (with
// -race when the tests have it); Start and StartT run instances of it.
//
// Set PUSHIO_E2E_LOG=1 (or PUSHIO_TEST_LOG=1) to see every instance's log
// as it runs.
package harness
