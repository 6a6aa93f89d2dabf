//go:build race

package harness

// raceEnabled: these tests run with -race, and so does the pushio they build.
const raceEnabled = true
