package settings

import "time"

// SocketIO is where and to whom package server serves Socket.IO on the io
// port, and whether the demo page is there too (io.path, io.cors_origins,
// io.demo).
type SocketIO struct {
	// Path is where Socket.IO is served; the demo page is served at /.
	Path string `mapstructure:"path"`
	// CORSOrigins lists the page origins allowed to connect; "*" allows any
	// origin (echoed back with credentials, as the original does).
	CORSOrigins []string `mapstructure:"cors_origins"`
	// Demo serves the embedded demo page at /.
	Demo bool `mapstructure:"demo"`
}

// Wires are where the pages without Socket.IO connect (io.ws_path,
// io.sse_path, io.sse_retry): package plain serves them, and the demo page
// offers them.
type Wires struct {
	// WSPath is where pages on the browser's own WebSocket connect,
	// SSEPath where EventSource pages do; empty turns one off.
	WSPath  string `mapstructure:"ws_path"`
	SSEPath string `mapstructure:"sse_path"`
	// SSERetry is the reconnection delay event streams tell EventSource.
	SSERetry time.Duration `mapstructure:"sse_retry"`
}

// Connection is what every page's connection on the io port is held to,
// whichever wire carries it: Socket.IO (package server) or a plain
// WebSocket or event stream (package plain).
type Connection struct {
	// PingInterval is how often a page is pinged; a page silent for
	// PingInterval + PingTimeout is dropped.
	PingInterval time.Duration `mapstructure:"ping_interval"`
	PingTimeout  time.Duration `mapstructure:"ping_timeout"`
	// MaxPayload is the largest message, in bytes, a page may send.
	MaxPayload int64 `mapstructure:"max_payload"`
	// MaxQueue and MaxQueueBytes bound what may wait to be written to one
	// page; a page past either is disconnected as a slow consumer.
	MaxQueue      int   `mapstructure:"max_queue"`
	MaxQueueBytes int64 `mapstructure:"max_queue_bytes"`
}

// Limits bound the Engine.IO sessions one instance admits (io.max_*,
// io.connection_*); zero values mean no limit.
type Limits struct {
	// MaxConnections caps this instance's sessions.
	MaxConnections int `mapstructure:"max_connections"`
	// MaxConnectionsPerIP caps the sessions of one client address.
	MaxConnectionsPerIP int `mapstructure:"max_connections_per_ip"`
	// ConnectionRatePerIP is how many new sessions per second one client
	// address may open, with bursts of ConnectionBurstPerIP.
	ConnectionRatePerIP  float64 `mapstructure:"connection_rate_per_ip"`
	ConnectionBurstPerIP int     `mapstructure:"connection_burst_per_ip"`
}

// Counts configures the update_online_count broadcast (counts.*).
type Counts struct {
	// Interval is how often the counts are read, and sent when they
	// changed.
	Interval time.Duration `mapstructure:"interval"`
}

// Groups bound the groups (issue 10's GatewayWorker groups; groups.*).
type Groups struct {
	// MaxPerUID is the most groups one uid may be in by membership of the
	// uid, and one page by its own (its login token's, joins by its
	// client id); a join past it is refused.
	MaxPerUID int `mapstructure:"max_per_uid"`
}

// Recovery configures connection state recovery for socket.io-client 4.6
// and later (recovery.*): a page whose connection ended gets its session
// and what it missed back when it reconnects within Window.
type Recovery struct {
	// Window is how long a disconnected page's session is kept; 0 is off.
	Window time.Duration `mapstructure:"window"`
	// MaxPackets bounds what is kept for one session; past it the page
	// gets a normal connect.
	MaxPackets int `mapstructure:"max_packets"`
}

// Requests bound one request to the publish API (api.max_body,
// api.max_url, api.max_batch); beyond, it gets 413 + fail.
type Requests struct {
	// MaxBody is the largest request body in bytes.
	MaxBody int64 `mapstructure:"max_body"`
	// MaxURL is the longest request URI in bytes.
	MaxURL int `mapstructure:"max_url"`
	// MaxBatch is the most items of a batch (a JSON array body).
	MaxBatch int `mapstructure:"max_batch"`
}

// Hold is how long a publish is held for its uids that have no page
// (hold.ttl, hold.max_ttl).
type Hold struct {
	// TTL is the ttl of a publish without ttl=; 0 holds nothing.
	TTL time.Duration `mapstructure:"ttl"`
	// MaxTTL caps every ttl.
	MaxTTL time.Duration `mapstructure:"max_ttl"`
}
