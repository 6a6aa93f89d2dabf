// Package static embeds the demo page and the socket.io client bundle that
// pushio serves on its Socket.IO port. The bundle (web/vendor/) comes from
// the npm package socket.io-client at build time (make static) and is never
// committed.
package static

import (
	"embed"
	"io/fs"
)

//go:embed all:web
var files embed.FS

// ClientBundle is the path of the socket.io client script inside FS.
const ClientBundle = "vendor/socket.io.min.js"

// FS is the tree served at /: index.html and vendor/.
func FS() fs.FS {
	sub, err := fs.Sub(files, "web")
	if err != nil {
		panic(err) // "web" is fixed at compile time
	}
	return sub
}
