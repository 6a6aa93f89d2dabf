package parser

import (
	"bytes"
	"fmt"
)

func samePacket(a, b Packet) bool {
	return a.Type == b.Type && a.Nsp == b.Nsp && a.ID == b.ID && a.Attachments == b.Attachments && bytes.Equal(a.Data, b.Data)
}

// show prints a packet with its data as text.
func show(p Packet) string {
	return fmt.Sprintf("{%v nsp=%q id=%d attachments=%d data=%q}", p.Type, p.Nsp, p.ID, p.Attachments, p.Data)
}
