package config

// keyHelp is what --help says of a key: its meaning and an example value,
// beside the default and the environment variable the flag set adds. The
// README's configuration table says the same at more length.
type keyHelp struct{ meaning, example string }

// help has one entry per key of defaults (TestHelpCoversEveryKey).
var help = map[string]keyHelp{
	"io.addr":                    {"Socket.IO listener (and demo page), host:port", "127.0.0.1:2120"},
	"io.path":                    {"Socket.IO path; only this path handshakes", "/socket.io"},
	"io.ws_path":                 {"path of pages on the browser's own WebSocket (JSON frames); empty: off", "/ws"},
	"io.sse_path":                {"path of EventSource pages (server-sent events, login in the query); empty: off", "/events"},
	"io.sse_retry":               {"reconnection delay event streams tell EventSource (retry:)", "3s"},
	"io.cors_origins":            {"page origins allowed; * echoes any origin with credentials", "https://www.example.com,https://m.example.com"},
	"io.ping_interval":           {"heartbeat interval (with a unit)", "25s"},
	"io.ping_timeout":            {"a client silent for ping_interval + ping_timeout is dropped", "20s"},
	"io.max_payload":             {"largest client message, bytes", "1048576"},
	"io.demo":                    {"serve the demo page at / (and /demo.json: the API port, io.path, whether the API wants a secret or signatures; never the secret)", "false"},
	"io.max_connections":         {"sessions on this instance, beyond: 503 (0: no limit)", "50000"},
	"io.max_connections_per_ip":  {"sessions of one address (an IPv6 /64 counts as one), beyond: 429 (0: no limit)", "100"},
	"io.connection_rate_per_ip":  {"new sessions per second from one address, beyond: 429 (0: no limit)", "5"},
	"io.connection_burst_per_ip": {"burst of new sessions allowed above connection_rate_per_ip", "10"},
	"io.trusted_proxies":         {"proxies (addresses or CIDRs) whose X-Forwarded-For names the client", "127.0.0.1,10.0.0.0/8"},
	"io.max_queue":               {"messages that may wait for one client; beyond: dropped as a slow consumer", "100000"},
	"io.max_queue_bytes":         {"bytes that may wait for one client; beyond: dropped as a slow consumer", "16777216"},
	"io.tls_cert":                {"certificate file: serve wss/https directly (with io.tls_key; re-read on SIGHUP)", "/etc/pushio/cert.pem"},
	"io.tls_key":                 {"key file of io.tls_cert", "/etc/pushio/key.pem"},
	"io.drain_window":            {"on SIGTERM, clients are disconnected spread over this window", "5s"},
	"api.addr":                   {"publish API listener, host:port", "127.0.0.1:2121"},
	"api.max_body":               {"largest request body, bytes; beyond: 413 fail", "10485760"},
	"api.max_url":                {"longest request URI, bytes; beyond: 413 fail", "65536"},
	"groups.max_per_uid":         {"most groups of one uid (type=join&uid=), and of one page (its token's groups claim, joins by client id); beyond: 409 fail", "256"},
	"api.max_batch":              {"most items of a batch request (a JSON array body); beyond: 413 fail", "1000"},
	"api.header_timeout":         {"time to read request headers (both listeners)", "10s"},
	"api.read_timeout":           {"time to read a whole request", "60s"},
	"api.write_timeout":          {"time to write an answer", "60s"},
	"api.idle_timeout":           {"an idle keep-alive connection is closed after this (both listeners)", "120s"},
	"api.tls_cert":               {"certificate file: serve the API over https (with api.tls_key; re-read on SIGHUP)", "/etc/pushio/cert.pem"},
	"api.tls_key":                {"key file of api.tls_cert", "/etc/pushio/key.pem"},
	"api.secret":                 {"every API request must carry it (at least 16 bytes; empty: the API is open)", "change-me-to-32-random-bytes"},
	"api.signature":              {"requests are signed with api.secret instead of carrying it", "true"},
	"api.signature_window":       {"how far a signed request's auth_timestamp may be from now", "5m"},
	"api.allow":                  {"addresses or CIDRs allowed to call the API and read /metrics (empty: everyone)", "127.0.0.1,10.0.0.0/8"},
	"api.rate_limit":             {"requests per second per client address, beyond: 429 fail (0: no limit)", "1000"},
	"api.rate_burst":             {"burst above api.rate_limit (0: the rate)", "2000"},
	"redis.url":                  {"Redis for a cluster (empty: single node)", "redis://127.0.0.1:6379/0"},
	"redis.prefix":               {"start of every Redis key and channel", "socket.io"},
	"redis.presence_ttl":         {"a killed instance's uids go offline within this", "15s"},
	"redis.timeout":              {"bound on each Redis call", "2s"},
	"log.level":                  {"debug, info, warn or error", "debug"},
	"log.format":                 {"text or json", "json"},
	"counts.interval":            {"how often update_online_count is recomputed (sent when it changed)", "1s"},
	"auth.secret":                {"logins need a token signed with it (empty: logins unsigned)", "change-me-to-32-random-bytes"},
	"auth.required":              {"an empty auth.secret stops start-up", "true"},
	"shutdown_timeout":           {"bound on a graceful stop, drain included", "10s"},
}

// usage is the --help line of key.
func usage(key string) string {
	h := help[key]
	return h.meaning + "; env " + EnvName(key) + ", e.g. --" + key + "=" + h.example
}
