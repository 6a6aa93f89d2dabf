// Package dist tests `make dist` from outside: the release archives it
// writes, their checksums, and binaries that are static, stripped and run
// with no Go or Node on the machine (an empty environment). It has no
// non-test code; the tests run one `make dist` at a time.
package dist
