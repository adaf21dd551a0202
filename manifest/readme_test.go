package manifest

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The README's Manifest section shows every key layerctl.yaml takes, so
// that a new key is not left out of the user's first page.
func TestReadmeShowsEveryKey(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Manifest\n")
	if !ok {
		t.Fatal(`README.md has no "## Manifest" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	for _, keys := range [][]string{topKeys, defaultsKeys, layerKeys, fileKeys, accountKeys, attachKeys, pythonKeys, nodeKeys, goKeys, lockKeys, publishKeys, s3Keys, shareKeys} {
		for _, k := range keys {
			if !regexp.MustCompile(`[\s{,]` + k + `:`).MatchString(section) {
				t.Errorf("README.md's Manifest section does not show the key %q", k)
			}
		}
	}
}

// The README's example is a manifest layerctl takes as it is written.
func TestReadmeManifestParses(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(b), "\n## Manifest\n")
	_, block, ok := strings.Cut(section, "```yaml\n")
	block, _, _ = strings.Cut(block, "```")
	if !ok {
		t.Fatal("README.md's Manifest section has no yaml block")
	}
	if _, err := Parse("README.md", []byte(block)); err != nil {
		t.Errorf("README.md's manifest: %v", err)
	}
}
