// Package deploy checks the monitoring files under deploy/ against pushio
// itself: every metric series the Grafana dashboard and the Prometheus
// alerting rules select is one pushio registers, with labels it exports,
// and promtool accepts the rules (and their unit tests in testdata). The
// files cannot drift from internal/metrics silently.
package deploy
