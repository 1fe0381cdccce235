package attachment

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The bytes decide the type; a name only refines a type the bytes cannot
// tell, and never makes a file one that is shown inline or runs code.
func TestContentTypeTrustsTheBytes(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	pdf := []byte("%PDF-1.7\n%âãÏÓ\n1 0 obj")
	html := []byte("<!doctype html><html><body><script>alert(1)</script>")
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>`)
	binary := []byte{0x00, 0x01, 0x02, 0x03, 0xfe, 0xff}
	for _, c := range []struct {
		head []byte
		name string
		want string
	}{
		{png, "foto.png", "image/png"},
		{png, "relatorio.pdf", "image/png"},
		{pdf, "foto.png", "application/pdf"},
		{html, "foto.jpg", "text/html; charset=utf-8"},
		{svg, "logo.svg", "image/svg+xml"},
		{binary, "planilha.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{binary, "foto.jpg", "application/octet-stream"},    // the name cannot make it an image
		{binary, "pagina.html", "application/octet-stream"}, // nor a page
		{[]byte("só texto"), "notas.csv", "text/csv; charset=utf-8"},
	} {
		if got := ContentType(c.head, c.name); got != c.want {
			t.Errorf("ContentType(%q…, %q) = %q, want %q", c.head[:4], c.name, got, c.want)
		}
	}
}

func TestOnlyImagesAudioAndVideoAreInline(t *testing.T) {
	for ct, want := range map[string]bool{
		"image/png": true, "image/jpeg": true, "audio/ogg": true, "video/mp4": true,
		"image/svg+xml": false, "text/html; charset=utf-8": false, "application/pdf": false, "application/octet-stream": false,
	} {
		if Inline(ct) != want {
			t.Errorf("Inline(%q) = %v", ct, !want)
		}
	}
}

func TestCleanNameKeepsOnlyAPlainName(t *testing.T) {
	for in, want := range map[string]string{
		"relatório.pdf":                   "relatório.pdf",
		`C:\Users\ana\foto.png`:           "foto.png",
		"../../etc/passwd":                "passwd",
		"nome\x00com\ncontrole.txt":       "nomecomcontrole.txt",
		`aspas"no"nome.doc`:               "aspasnonome.doc",
		"":                                "arquivo",
		"..":                              "arquivo",
		"   ":                             "arquivo",
		strings.Repeat("a", 300) + ".pdf": strings.Repeat("a", MaxName-4) + ".pdf",
	} {
		if got := CleanName(in); got != want {
			t.Errorf("CleanName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIDsAreLongRandomAndPathSafe(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id, err := newID()
		if err != nil {
			t.Fatal(err)
		}
		if len(id) != 32 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyz234567") != "" || seen[id] {
			t.Fatalf("id %q (repeated: %v)", id, seen[id])
		}
		seen[id] = true
	}
}

// A Put that fails leaves nothing under its key, nor a temporary file.
func TestDirPutIsAllOrNothing(t *testing.T) {
	d := Dir(t.TempDir())
	ctx := context.Background()
	if n, err := d.Put(ctx, "abcdef", strings.NewReader("conteúdo")); err != nil || n != int64(len("conteúdo")) {
		t.Fatalf("Put = %d, %v", n, err)
	}
	f, err := d.Open(ctx, "abcdef")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "conteúdo" {
		t.Fatalf("read back %q", b)
	}
	broken := io.MultiReader(bytes.NewReader(make([]byte, 1000)), errReader{})
	if _, err := d.Put(ctx, "ghijkl", broken); err == nil {
		t.Fatal("a failing reader stored a file")
	}
	if _, err := d.Open(ctx, "ghijkl"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("after a failed Put, Open = %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(string(d), "gh"))
	if len(entries) != 0 {
		t.Fatalf("a failed Put left %d files", len(entries))
	}
	for _, bad := range []string{"", "ab", "../etc", "a/b/c"} {
		if _, err := d.Put(ctx, bad, strings.NewReader("x")); err == nil {
			t.Errorf("Put accepted key %q", bad)
		}
	}
	if err := d.Delete(ctx, "abcdef"); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, "abcdef"); err != nil {
		t.Fatalf("deleting twice: %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }
