// Package e2e tests the built pushio binary from the outside with real
// programs: socket.io-client 1.x, 2.x, 3.x and 4.x under Node, php-cli running
// the README's snippets, raw TCP and HTTP, and headless Chromium. Its
// tests need `make build` (for the embedded client bundle) and
// test/deps.sh (node modules, php, chromium); see harness for the
// instance helper. PUSHIO_E2E_ARTIFACTS=DIR keeps the browser tests'
// screenshots there instead of in a temporary directory.
package e2e
