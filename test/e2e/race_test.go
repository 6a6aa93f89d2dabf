//go:build race

package e2e

// raceEnabled: these tests run with -race, and so does the pushio they build.
const raceEnabled = true
