package netaddr

import "net/netip"

// IPv6Bits is how many leading bits of an IPv6 address name one client.
const IPv6Bits = 64

// Key is the address a per-address limit counts for a: a itself for IPv4
// (an IPv4-mapped IPv6 address unmapped first), the first address of its
// /64 for IPv6; the zero Addr stays the zero Addr.
func Key(a netip.Addr) netip.Addr {
	a = a.Unmap()
	if !a.Is6() {
		return a
	}
	p, err := a.Prefix(IPv6Bits)
	if err != nil {
		return a
	}
	return p.Addr()
}
