package socketio

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pushio/pushio/engine"
	"github.com/pushio/pushio/socketio/parser"
)

// DefaultConnectTimeout is Node's: a client that opened Engine.IO but
// joined no namespace within it is closed.
const DefaultConnectTimeout = 45 * time.Second

// Ack answers a client's acknowledgement request; nil when it asked none.
type Ack func(args ...any)

// Handler is the application.
type Handler interface {
	// OnOpen: a client opened an Engine.IO session (r is its handshake,
	// not to be kept). Nothing is joined yet.
	OnOpen(sess *engine.Session, r *http.Request)
	// OnConnect: s joined its namespace.
	OnConnect(s *Socket)
	// OnEvent: s emitted event with args.
	OnEvent(s *Socket, event string, args []any, ack Ack)
	// OnDisconnect: s left, once, before its session's OnClose.
	OnDisconnect(s *Socket, reason string)
	// OnClose: the session ended, last of all calls for it.
	OnClose(sess *engine.Session, reason string)
}

// Resumer is a Handler that decides, before a protocol 5 client's
// CONNECT is answered, the socket's id ("" for a new one), what more the
// answer carries (connection state recovery's pid) and the socket's Value
// for OnConnect. auth is the CONNECT packet's, as the client sent it.
type Resumer interface {
	Resume(sess *engine.Session, nsp string, auth map[string]any) (id string, data map[string]any, value any)
}

// Options configure a Server.
type Options struct {
	Engine         engine.Options
	ConnectTimeout time.Duration
	// Namespaces a client may join besides "/".
	Namespaces []string
}

// Server is the Socket.IO endpoint; mount it on the Socket.IO path.
type Server struct {
	eng  *engine.Server
	h    Handler
	opts Options
}

// New starts the engine under h.
func New(opts Options, h Handler) (*Server, error) {
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = DefaultConnectTimeout
	}
	s := &Server{h: h, opts: opts}
	eng, err := engine.New(opts.Engine, s.handler())
	if err != nil {
		return nil, err
	}
	s.eng = eng
	return s, nil
}

// Engine is the Engine.IO server underneath.
func (s *Server) Engine() *engine.Server { return s.eng }

// ServeHTTP serves Socket.IO's Engine.IO requests.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.eng.ServeHTTP(w, r) }

// Close ends every session.
func (s *Server) Close() { s.eng.Close() }

// Sockets returns the socket of each session on "/".
func (s *Server) Sockets() []*Socket {
	var all []*Socket
	for _, sess := range s.eng.Sessions() {
		if c, ok := sess.Value.(*conn); ok {
			if sock := c.get("/"); sock != nil {
				all = append(all, sock)
			}
		}
	}
	return all
}

func (s *Server) handler() engine.Handler { return (*engineHandler)(s) }

// conn is what the server keeps of one session.
type conn struct {
	mu      sync.Mutex
	main    *Socket
	others  map[string]*Socket // rare: namespaces other than "/"
	timer   *time.Timer        // the connect timeout
	bin     *parser.Packet     // a binary packet awaiting attachments
	atts    [][]byte
	binSize int64
}

// stopTimer stops the connect timeout and lets it go: a connected page
// holds no timer.
func (c *conn) stopTimer() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
}

func (c *conn) get(nsp string) *Socket {
	c.mu.Lock()
	defer c.mu.Unlock()
	if nsp == "/" {
		return c.main
	}
	return c.others[nsp]
}

func (c *conn) set(nsp string, sock *Socket) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if nsp == "/" {
		c.main = sock
		return
	}
	if c.others == nil {
		c.others = make(map[string]*Socket)
	}
	if sock == nil {
		delete(c.others, nsp)
	} else {
		c.others[nsp] = sock
	}
}

// take takes sock out of c if it is still c's socket of nsp, and reports
// whether it was.
func (c *conn) take(nsp string, sock *Socket) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if nsp == "/" {
		if c.main != sock {
			return false
		}
		c.main = nil
		return true
	}
	if c.others[nsp] != sock {
		return false
	}
	delete(c.others, nsp)
	return true
}

// all takes every socket out of c.
func (c *conn) all() []*Socket {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*Socket
	if c.main != nil {
		out = append(out, c.main)
	}
	for _, s := range c.others {
		out = append(out, s)
	}
	c.main, c.others = nil, nil
	return out
}

type engineHandler Server

func (h *engineHandler) OnOpen(sess *engine.Session, r *http.Request) {
	s := (*Server)(h)
	c := &conn{}
	sess.Value = c
	s.h.OnOpen(sess, r)
	if sess.Protocol() == 3 {
		// Protocol 4: the client is in "/" at once.
		s.join(sess, c, "/", nil)
		return
	}
	t := time.AfterFunc(s.opts.ConnectTimeout, func() {
		if c.get("/") == nil {
			sess.Close(false)
		}
	})
	c.mu.Lock()
	c.timer = t
	c.mu.Unlock()
}

func (h *engineHandler) OnMessage(sess *engine.Session, data []byte, binary bool) {
	s := (*Server)(h)
	c := sess.Value.(*conn)
	if binary {
		s.attachment(sess, c, data)
		return
	}
	if c.bin != nil {
		sess.Close(false) // text while attachments were awaited
		return
	}
	p, err := parser.Decode(data)
	if err != nil {
		sess.Close(false)
		return
	}
	if p.Attachments > 0 {
		p.Data = slices.Clone(p.Data)
		c.bin, c.atts, c.binSize = &p, make([][]byte, 0, p.Attachments), 0
		return
	}
	s.dispatch(sess, c, p, nil)
}

// attachment collects one binary attachment of the awaited packet.
func (s *Server) attachment(sess *engine.Session, c *conn, data []byte) {
	if c.bin == nil {
		sess.Close(false) // binary data nobody announced
		return
	}
	c.binSize += int64(len(data))
	if max := s.eng.Options().MaxPayload; c.binSize > max {
		sess.Close(false)
		return
	}
	c.atts = append(c.atts, slices.Clone(data))
	if len(c.atts) < c.bin.Attachments {
		return
	}
	p, atts := *c.bin, c.atts
	c.bin, c.atts = nil, nil
	s.dispatch(sess, c, p, atts)
}

func (s *Server) dispatch(sess *engine.Session, c *conn, p parser.Packet, atts [][]byte) {
	switch p.Type {
	case parser.Connect:
		s.connect(sess, c, p)
	case parser.Disconnect:
		if sock := c.get(p.Nsp); sock != nil {
			c.set(p.Nsp, nil)
			s.leave(sock, "client namespace disconnect")
		}
	case parser.Event, parser.BinaryEvent:
		sock := c.get(p.Nsp)
		if sock == nil {
			return // not joined: ignored, as Node does
		}
		args, err := p.Args(atts)
		if err != nil || len(args) == 0 {
			sess.Close(false)
			return
		}
		name, _ := args[0].(string)
		s.h.OnEvent(sock, name, args[1:], ackFor(sock, p.ID))
	case parser.Ack, parser.BinaryAck:
		// pushio asks no acknowledgement of clients.
	default:
		sess.Close(false)
	}
}

// ackFor answers acknowledgement id once; nil for none.
func ackFor(sock *Socket, id int64) Ack {
	if id < 0 {
		return nil
	}
	var once sync.Once
	return func(args ...any) {
		once.Do(func() {
			if args == nil {
				args = []any{}
			}
			if m, err := encode(parser.Ack, sock.nsp, id, args); err == nil {
				_ = sock.Send(m)
			}
		})
	}
}

// connect joins a namespace the client asked for, or refuses it.
func (s *Server) connect(sess *engine.Session, c *conn, p parser.Packet) {
	if sess.Protocol() == 3 {
		// socket.io-client 2.x sends a namespace's query with it
		// (40/admin?token=x): the namespace is what comes before.
		if i := strings.IndexByte(p.Nsp, '?'); i >= 0 {
			p.Nsp = p.Nsp[:i]
		}
	}
	if p.Nsp != "/" && !slices.Contains(s.opts.Namespaces, p.Nsp) {
		var data any = map[string]string{"message": "Invalid namespace"}
		if sess.Protocol() == 3 {
			data = "Invalid namespace"
		}
		if m, err := encode(parser.ConnectError, p.Nsp, -1, data); err == nil {
			_ = sess.Send(m)
		}
		return
	}
	if c.get(p.Nsp) != nil {
		return
	}
	auth := map[string]any{}
	if len(p.Data) > 0 && sess.Protocol() == 4 {
		if err := json.Unmarshal(p.Data, &auth); err != nil || auth == nil {
			sess.Close(false)
			return
		}
	}
	s.join(sess, c, p.Nsp, auth)
}

// join makes the socket of sess in nsp and tells the client and the
// application.
func (s *Server) join(sess *engine.Session, c *conn, nsp string, auth map[string]any) {
	sock := &Socket{srv: s, sess: sess, nsp: nsp, auth: auth}
	var ack any
	if sess.Protocol() == 3 {
		sock.id = sess.ID()
		if nsp != "/" {
			sock.id = nsp + "#" + sess.ID()
		}
		sock.auth = map[string]any{}
	} else {
		sock.id = newID()
		reply := map[string]any{}
		if r, ok := s.h.(Resumer); ok {
			id, data, v := r.Resume(sess, nsp, auth)
			if id != "" {
				sock.id = id
			}
			maps.Copy(reply, data)
			sock.Value = v
		}
		reply["sid"] = sock.id
		ack = reply
	}
	m, err := encode(parser.Connect, nsp, -1, ack)
	if err != nil { // a namespace the codec refuses (Options.Namespaces)
		sess.Close(false)
		return
	}
	c.stopTimer()
	c.set(nsp, sock)
	_ = sess.Send(m)
	s.h.OnConnect(sock)
}

func (s *Server) leave(sock *Socket, reason string) {
	sock.mu.Lock()
	sock.disconnected = true
	sock.mu.Unlock()
	s.h.OnDisconnect(sock, reason)
}

func (h *engineHandler) OnClose(sess *engine.Session, reason string) {
	s := (*Server)(h)
	c := sess.Value.(*conn)
	c.stopTimer()
	for _, sock := range c.all() {
		s.leave(sock, reason)
	}
	s.h.OnClose(sess, reason)
}

// newID is a socket id as Node's: 15 random bytes, URL-safe base64.
func newID() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
