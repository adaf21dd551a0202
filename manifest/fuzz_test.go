package manifest

import (
	"errors"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/layerctl/layerctl/internal/safetext"
	"github.com/layerctl/layerctl/layer/lambdafacts"
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		validManifest,
		"",
		"version: 1\nlayers:\n  api: [\n",
		"version: 1\nlayers:\n  a: &b\n    runtimes: [python3.12]\n    files: [{from: a, to: x/../y}]\n  c: {<<: *b, architectures: [arm64]}\n",
		"version: 1\ndefaults: {runtimes: [python3.8], architectures: [arm64]}\nlayers: {a: {files: [{from: a, to: /opt/x}]}}\n",
		"version: 1\nlayers: {a: {runtimes: [Python3.12, python3.12, python3.12], files: [src, {to: '..'}]}}\n---\nx: 1\n",
		"version: '1'\nlayers: [a]\n[x]: {}\n",
		"version: 1\nlayers: {'a b': {runtimes: [python3.12], files: [{from: a}], exclude: ['[', '/x', '']}}\n",
		"version: 1\nlayers: {a: {runtimes: [python3.12], files: [{from: \"a\\e\", to: \"python/a\\0b\"}], exclude: [\"\\x85\"]}}\n",
		"version: 1\nrole_template: arn:aws:iam::{account}:role/x\nexternal_id: e-1\naccounts: [{id: \"111122223333\", regions: [eu-west-1]}, {id: \"444455556666\", role: \"arn:aws:iam::444455556666:role/y\", external_id: ab}]\nlock: {s3: \"s3://b-1/k/l.lock\", region: us-east-1, local: true}\nlayers: {a: {runtimes: [python3.12], files: [{from: a}], accounts: [{id: \"777788889999\"}]}}\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse("layerctl.yaml", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || len(e.Problems) == 0 {
				t.Fatalf("Parse error %#v is not an *Error with problems", err)
			}
			for _, p := range e.Problems {
				if p.Pos.File != "layerctl.yaml" {
					t.Errorf("problem %q has no file", p)
				}
			}
			return
		}
		if len(m.Layers) == 0 {
			t.Fatal("valid manifest without layers")
		}
		for _, l := range m.Layers {
			if !lambdafacts.ValidLayerName(l.Name) {
				t.Errorf("layer name %q is invalid", l.Name)
			}
			if n := len(l.Runtimes); n < 1 || n > maxRuntimes {
				t.Errorf("layer %s has %d runtimes", l.Name, n)
			}
			for _, r := range l.Runtimes {
				if !lambdafacts.ValidRuntime(r) {
					t.Errorf("layer %s has runtime %q", l.Name, r)
				}
			}
			if n := len(l.Architectures); n < 1 || n > len(lambdafacts.Architectures) {
				t.Errorf("layer %s has %d architectures", l.Name, n)
			}
			for _, a := range l.Architectures {
				if !slices.Contains(lambdafacts.Architectures, a) {
					t.Errorf("layer %s has architecture %q", l.Name, a)
				}
			}
			if len(l.Files) == 0 && l.Python == nil && l.Node == nil && len(l.Go) == 0 {
				t.Errorf("layer %s has no content", l.Name)
			}
			for _, fm := range l.Files {
				if fm.From == "" {
					t.Errorf("layer %s has an empty from", l.Name)
				}
				if path.IsAbs(fm.To) || fm.To == ".." || strings.HasPrefix(fm.To, "../") || strings.Contains(fm.To, `\`) || fm.To == "." ||
					(fm.To != "" && path.Clean(fm.To) != fm.To) {
					t.Errorf("layer %s has to %q", l.Name, fm.To)
				}
				if _, bad := safetext.Control(fm.From + fm.To); bad {
					t.Errorf("layer %s has a control character in from %q or to %q", l.Name, fm.From, fm.To)
				}
			}
			for _, x := range l.Exclude {
				if _, bad := safetext.Control(x); bad {
					t.Errorf("layer %s excludes %q", l.Name, x)
				}
			}
		}
		if !slices.IsSortedFunc(m.Layers, func(a, b *Layer) int { return strings.Compare(a.Name, b.Name) }) {
			t.Error("layers are not sorted")
		}
	})
}
