// Package settings declares, once each, the settings pushio's parts run
// with: the packages that use them (server, plain, pushapi) take these
// structs in their Options, and internal/config's sections embed the very
// same structs, whose mapstructure tags are the keys of config.yaml (and so
// of the PUSHIO_* variables and the flags). A key a part needs is added
// here, and reaches the part without being copied field by field; its
// default, validation and --help text stay in internal/config.
//
// It holds plain values and imports nothing of pushio, so that every part
// may import it; its values are copied, not shared, and safe to read from
// any goroutine.
package settings
