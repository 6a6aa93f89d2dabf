// Package e2etest is what the end-to-end test packages (test/e2e,
// test/browser) share besides harness: the instance they start
// (StartPushio), calls of the publish API, the node scripts of test/e2e
// (client.js, browser.js, run with its one node_modules) and the Chromium
// driver on browser.js.
//
// Concurrency: a Node or a Browser belongs to the test that started it;
// the API helpers are safe for concurrent use.
package e2etest
