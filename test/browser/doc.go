// Package browser tests the built pushio binary from headless Chromium
// (driven by test/e2e/browser.js, see e2etest.StartBrowser): the demo page
// of each kind, pushio's client bundle from another origin and the
// README's plain WebSocket and EventSource pages rendered by php-cli. Its
// tests need `make build` and test/deps.sh, as test/e2e's do.
// PUSHIO_E2E_ARTIFACTS=DIR keeps their screenshots there instead of in a
// temporary directory.
package browser
