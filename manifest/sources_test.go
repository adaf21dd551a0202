package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWithin(t *testing.T) {
	for _, c := range []struct {
		path, root string
		want       bool
	}{
		{"/r", "/r", true},
		{"/r/a/b", "/r", true},
		{"/r/..a", "/r", true}, // a name that starts with two dots is inside
		{"/ra", "/r", false},
		{"/", "/r", false},
		{"/etc/passwd", "/r", false},
	} {
		if got := within(c.path, c.root); got != c.want {
			t.Errorf("within(%q, %q) = %v, want %v", c.path, c.root, got, c.want)
		}
	}
}

func TestCheckInsideTheRepository(t *testing.T) {
	work := t.TempDir()
	repo := filepath.Join(work, "repo")
	for _, d := range []string{".git", "app", "shared"} {
		if err := os.MkdirAll(filepath.Join(repo, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(work, "secret"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../secret", filepath.Join(repo, "app", "leak")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../shared", filepath.Join(repo, "app", "near")); err != nil {
		t.Fatal(err)
	}
	m := &Manifest{Dir: filepath.Join(repo, "app")}
	for _, c := range []struct {
		name string
		f    FileMap
		want string // "" for accepted, else a part of the message
	}{
		{"the manifest's folder", FileMap{From: "."}, ""},
		{"above it, inside the repository", FileMap{From: "../shared"}, ""},
		{"a link inside the repository", FileMap{From: "near"}, ""},
		{"absolute, outside", FileMap{From: filepath.Join(work, "secret")}, "is outside the repository"},
		{"relative, outside", FileMap{From: "../../secret"}, "is outside the repository"},
		{"a link to outside", FileMap{From: "leak"}, "(it leads to "},
		{"outside, allowed", FileMap{From: "../../secret", AllowOutside: true}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := m.checkInside(c.f)
			if (got == "") != (c.want == "") || !strings.Contains(got, c.want) {
				t.Errorf("checkInside(%+v) = %q, want %q", c.f, got, c.want)
			}
		})
	}
}
