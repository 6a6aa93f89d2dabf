// Package netaddr is pushio's one policy for telling clients apart by
// address, used by every per-address limit on both ports (the publish
// API's rate limit, the io port's connection limits): an IPv4 address
// counts alone, an IPv6 address counts as its /64, which one host or one
// customer's network usually holds whole, so that rotating addresses
// inside it gains nothing.
//
// Its functions are pure and safe for concurrent use.
package netaddr
