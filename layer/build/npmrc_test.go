package build

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/manifest"
)

func TestNpmrcThatChoosesWhatNpmRunsIsRefused(t *testing.T) {
	npmrc := strings.Join([]string{
		"registry=https://registry.npmjs.org/",  // 1: fine
		"//registry.npmjs.org/:_authToken=${T}", // 2: fine
		"; git=commented",                       // 3
		"git=./pwn.sh",                          // 4
		"  script-shell = /bin/evil ",           // 5
		`"node-options"=--require ./x.js`,       // 6
		"'node-gyp'=./gyp",                      // 7
		"userconfig=../../evil.npmrc",           // 8
		"globalconfig[]=x",                      // 9
		"${KEY}=./pwn.sh",                       // 10: KEY=git
		"[section]",                             // 11
		"Shell=x",                               // 12: npm ignores the case, layerctl does not
		"script_shell=x",                        // 13
		"ignore-scripts=false",                  // 14: the command line's --ignore-scripts wins
		"strict-ssl=true\r\ngit=again",          // 15, 16
	}, "\n")
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{"web/package.json": "{}", "web/package-lock.json": "{}", "web/.npmrc": npmrc})
	check := func(scripts bool) []string {
		l := &manifest.Layer{Name: "web", Runtimes: []string{"nodejs22.x"}, Node: &manifest.Node{Package: "web", Scripts: scripts}}
		m := &manifest.Manifest{Dir: dir, Version: 1, Layers: []*manifest.Layer{l}}
		err := CheckInputs(t.Context(), m, m.Layers, &builder.Tools{Env: []string{"KEY=git"}})
		if err == nil {
			return nil
		}
		var lines []string
		for _, p := range err.(*manifest.Error).Problems {
			s := p.String()
			lines = append(lines, s[:strings.Index(s, ": a .npmrc")])
		}
		return lines
	}
	want := []string{
		"web/.npmrc:4:1: layers.web.node.package: git names the program npm runs to fetch git dependencies",
		"web/.npmrc:5:1: layers.web.node.package: script-shell names the shell npm runs scripts with",
		"web/.npmrc:6:1: layers.web.node.package: node-options sets NODE_OPTIONS (--require FILE runs any code) for what npm runs",
		"web/.npmrc:7:1: layers.web.node.package: node-gyp names the program npm runs to build native addons",
		"web/.npmrc:8:1: layers.web.node.package: userconfig makes npm read another settings file, which layerctl does not check",
		"web/.npmrc:9:1: layers.web.node.package: globalconfig makes npm read another settings file, which layerctl does not check",
		"web/.npmrc:10:1: layers.web.node.package: git names the program npm runs to fetch git dependencies",
		"web/.npmrc:12:1: layers.web.node.package: shell names the shell npm runs commands with",
		"web/.npmrc:13:1: layers.web.node.package: script-shell names the shell npm runs scripts with",
		"web/.npmrc:16:1: layers.web.node.package: git names the program npm runs to fetch git dependencies",
	}
	if d := cmp.Diff(want, check(false)); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
	if got := check(true); got != nil {
		t.Errorf("with scripts: true: %v", got)
	}
}
