package dist

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/pushio/pushio/internal/test/harness"
)

const version = "v0.0.0-disttest"

// TestMakeDist runs `make dist` into a temporary directory and checks
// each archive: the files it holds, its SHA256SUMS and the outer one, an
// ELF binary for its architecture that is static (no interpreter, no
// dynamic section) and stripped; the binary of this machine's
// architecture prints its version and validates the shipped config with
// an empty environment (no PATH: no Go, no Node).
func TestMakeDist(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two release binaries")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	cmd := exec.Command("make", "--no-print-directory", "dist", "VERSION="+version, "DIST="+out)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make dist: %v\n%s", err, b)
	}
	sums := readSums(t, filepath.Join(out, "SHA256SUMS"))
	for _, arch := range []string{"amd64", "arm64"} {
		name := "pushio-" + version + "-linux-" + arch + ".tar.gz"
		t.Run(arch, func(t *testing.T) {
			archive := filepath.Join(out, name)
			if got := fileSum(t, archive); sums[name] != got {
				t.Fatalf("SHA256SUMS says %q for %s, the file's is %s", sums[name], name, got)
			}
			dir := extract(t, archive, t.TempDir())
			checkContents(t, root, dir)
			checkELF(t, filepath.Join(dir, "pushio"), arch)
			if arch == runtime.GOARCH {
				checkRuns(t, dir)
				checkQuickStart(t, dir)
			}
		})
	}
}

func checkContents(t *testing.T, root, dir string) {
	t.Helper()
	want := []string{"pushio", "config.yaml", "README.md", "SHA256SUMS", "deploy/config.production.yaml", "deploy/systemd/pushio.service"}
	if _, err := os.Stat(filepath.Join(root, "LICENSE")); err == nil {
		want = append(want, "LICENSE")
	}
	for _, f := range want {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("archive lacks %s: %v", f, err)
		}
	}
	inner := readSums(t, filepath.Join(dir, "SHA256SUMS"))
	if _, ok := inner["pushio"]; !ok {
		t.Errorf("the archive's SHA256SUMS does not list the binary: %v", inner)
	}
	for f, sum := range inner {
		if got := fileSum(t, filepath.Join(dir, f)); got != sum {
			t.Errorf("the archive's SHA256SUMS: %s is %s, listed %s", f, got, sum)
		}
	}
}

func checkELF(t *testing.T, bin, arch string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	machine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[arch]
	if f.Machine != machine {
		t.Errorf("machine %v, want %v", f.Machine, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("dynamically linked: program header %v", p.Type)
		}
	}
	if f.Section(".symtab") != nil {
		t.Error("not stripped: it has a .symtab")
	}
	if fi, err := os.Stat(bin); err == nil {
		t.Logf("%s binary: %.1f MB", arch, float64(fi.Size())/1e6)
	}
}

func checkRuns(t *testing.T, dir string) {
	t.Helper()
	run := func(args ...string) string {
		cmd := exec.Command("./pushio", args...)
		cmd.Dir, cmd.Env = dir, []string{} // no PATH, no HOME: nothing but the archive
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("pushio %s: %v\n%s", strings.Join(args, " "), err, b)
		}
		return string(b)
	}
	got := run("--version")
	if want := fmt.Sprintf("pushio %s (commit ", version); !strings.HasPrefix(got, want) || !strings.Contains(got, "go1.") || strings.Contains(got, "commit unknown") {
		t.Errorf("--version = %q, want %q…, a commit and the Go version", got, want)
	}
	if got, want := run("--check-config"), "config ok: read "+filepath.Join(dir, "config.yaml")+"\n"; got != want {
		t.Errorf("--check-config = %q, want %q", got, want)
	}
}

// checkQuickStart follows the README's quick start with the archive: the
// binary started in its directory (with its config.yaml, on free ports
// and an empty environment) serves the demo page and the client bundle,
// and the curl push is answered.
func checkQuickStart(t *testing.T, dir string) {
	t.Helper()
	p, err := harness.Start(context.Background(), filepath.Join(dir, "pushio"), harness.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := p.Stop(); err != nil {
			t.Errorf("%v\n%s", err, p.Output())
		}
	}()
	for _, c := range []struct{ url, want string }{
		{p.IOURL() + "/", "<html"},
		{p.IOURL() + "/socket.io/socket.io.js", "socket.io"},
		{p.APIURL() + "/?type=publish&to=UID&content=hello", "offline"},
	} {
		resp, err := http.Get(c.url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), c.want) {
			t.Errorf("GET %s: %d %.80q, want 200 with %q", c.url, resp.StatusCode, body, c.want)
		}
	}
}

// readSums reads a sha256sum file into name → digest.
func readSums(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("%s: line %q is not sha256sum output", path, line)
		}
		out[name] = sum
	}
	return out
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// extract unpacks a .tar.gz into into and returns its one top directory,
// refusing entries that would land outside it.
func extract(t *testing.T, archive, into string) string {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	top := ""
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Clean(h.Name)
		if first, _, _ := strings.Cut(name, "/"); top == "" {
			top = first
		} else if first != top || strings.HasPrefix(name, "..") {
			t.Fatalf("entry %q outside the archive's directory %q", h.Name, top)
		}
		path := filepath.Join(into, name)
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(path, 0o755)
		case tar.TypeReg:
			err = writeEntry(path, tr, h.FileInfo().Mode())
		default:
			t.Fatalf("entry %q of type %c: want only files and directories", h.Name, h.Typeflag)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(into, top)
}

func writeEntry(path string, r io.Reader, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	w, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		_ = w.Close()
		return err
	}
	return w.Close()
}
