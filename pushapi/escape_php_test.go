package pushapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"github.com/pushio/pushio/internal/test/need"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// phpEscape is PHP's htmlspecialchars with the defaults of PHP 8.1+ (given
// explicitly so that an older php-cli tests the same thing), applied to
// each hex-encoded line of stdin and written back in hex.
const phpEscape = `while (($l = fgets(STDIN)) !== false) {
	echo bin2hex(htmlspecialchars(hex2bin(rtrim($l, "\n")), ENT_QUOTES | ENT_SUBSTITUTE | ENT_HTML401, 'UTF-8')), "\n";
}`

// TestHTMLSpecialCharsMatchesPHP compares HTMLSpecialChars with real
// php-cli, byte for byte, on edge cases and a few thousand random strings
// of ASCII specials, valid multi-byte runes and invalid sequences.
func TestHTMLSpecialCharsMatchesPHP(t *testing.T) {
	t.Parallel()
	php := need.PHP(t)
	inputs := append(escapeEdgeCases(), randomEscapeInputs(rand.New(rand.NewPCG(2120, 2121)), 3000)...)

	var stdin bytes.Buffer
	for _, in := range inputs {
		stdin.WriteString(hex.EncodeToString([]byte(in)) + "\n")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, php, "-n", "-r", phpEscape)
	cmd.Stdin = &stdin
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("php: %v\n%s", err, stderr.String())
	}

	lines := bufio.NewScanner(bytes.NewReader(out))
	lines.Buffer(nil, 1<<20)
	mismatches := 0
	for i, in := range inputs {
		if !lines.Scan() {
			t.Fatalf("php answered %d lines for %d inputs", i, len(inputs))
		}
		want, err := hex.DecodeString(lines.Text())
		if err != nil {
			t.Fatalf("php line %d: %v", i+1, err)
		}
		if got := HTMLSpecialChars(in); got != string(want) {
			t.Errorf("HTMLSpecialChars(%q) = %q, php says %q", in, got, want)
			if mismatches++; mismatches == 10 {
				t.Fatal("too many mismatches")
			}
		}
	}
	if lines.Scan() {
		t.Errorf("php answered more lines than inputs: %q", lines.Text())
	}
}

// escapeEdgeCases are the boundaries of PHP's UTF-8 decoder and escaping.
func escapeEdgeCases() []string {
	cases := []string{
		"", "&", "<>&\"'", "&amp;", "&#039;", "\x00", "\n\r\t", "a\x00b",
		"\x7f", "\x80", "\xbf", "\xc0", "\xc1\x80", "\xc2", "\xc2\x80", "\xc2\x7f", "\xc2\xc2\x80",
		"\xdf\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf", "\xe0\xa0\x80", "\xe0\xa0", "\xe0\xa0<", "\xe0<",
		"\xed\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf", "\xee\x80\x80", "\xef\xbf\xbf", "\xef\xbf",
		"\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", "\xf0\x90\x80\x80", "\xf0\x90\x80", "\xf0\x90", "\xf0\x90\x80<",
		"\xf4\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xfe", "\xff",
		"\xe2\x82\xc2\xa2", "\xf0\x9f\x98\xc2\x80", "\xe2\xc2\x80", "\xf0\xc2\x80\x80",
		"当前<b>1</b>人在线", "😀&😀", "\ufeff<", "\u00a0'",
	}
	// Every single byte, and every lead byte followed by each kind of byte.
	for b := range 256 {
		cases = append(cases, string([]byte{byte(b)}))
		for _, next := range []byte{'a', '<', 0x80, 0xbf, 0xc2, 0xff} {
			cases = append(cases, string([]byte{byte(b), next}), string([]byte{byte(b), 0x80, next}))
		}
	}
	return cases
}

// randomEscapeInputs mixes the pieces that matter to the escaper.
func randomEscapeInputs(r *rand.Rand, n int) []string {
	pieces := []func() string{
		func() string { return string("&<>\"'"[r.IntN(5)]) },
		func() string { return string(rune('a' + r.IntN(26))) },
		func() string { return string([]byte{byte(r.IntN(0x80))}) },
		func() string { return string(rune(0x80 + r.IntN(0x800-0x80))) },    // valid 2-byte
		func() string { return string(rune(0x800 + r.IntN(0xd800-0x800))) }, // valid 3-byte
		func() string { return string(rune(0x10000 + r.IntN(0x100000))) },   // valid 4-byte
		func() string { return string([]byte{byte(0x80 + r.IntN(0x80))}) },  // any high byte
		func() string { return string([]byte{byte(0xc0 + r.IntN(0x40)), byte(0x80 + r.IntN(0x40))}) },
		func() string { return string([]byte{0xed, byte(0xa0 + r.IntN(0x20)), byte(0x80 + r.IntN(0x40))}) }, // surrogate
		func() string { return string([]byte{0xe0, byte(0x80 + r.IntN(0x20)), byte(0x80 + r.IntN(0x40))}) }, // overlong
		func() string { // a 3- or 4-byte rune cut short
			s := string(rune(0x800 + r.IntN(0x10f800)))
			return s[:1+r.IntN(len(s)-1)]
		},
	}
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for range r.IntN(24) {
			b.WriteString(pieces[r.IntN(len(pieces))]())
		}
		out[i] = b.String()
	}
	return out
}
