// Package e2e tests the built pushio binary from the outside with real
// programs: socket.io-client 1.x, 2.x, 3.x and 4.x under Node, php-cli running
// the README's snippets, raw TCP and HTTP, nginx and HAProxy, and headless
// Chromium where a test needs a browser's WebSocket or EventSource (the
// browser tests proper are test/browser). Its tests need `make build` (for
// the embedded client bundle) and test/deps.sh (node modules, php,
// chromium); see harness for the instance and e2etest for the helpers
// shared with test/browser. Its package.json and node_modules serve both
// packages' node scripts (client.js, browser.js).
package e2e
