package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"
)

// goCaches are this machine's go build and module caches, so that the
// scripts' go builds reuse what go test itself compiled and downloaded.
var goCaches = sync.OnceValue(func() []string {
	out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
})

// builderEnv gives the scripts what pip, npm and go need: a home of their
// own (testscript's is /no-home), go's caches, and npm's download cache
// (the npm registry is reachable; the cache saves downloading twice).
func builderEnv(env *testscript.Env) {
	home := filepath.Join(env.WorkDir, ".home")
	os.MkdirAll(home, 0o755)
	env.Setenv("HOME", home)
	if c := goCaches(); len(c) == 3 {
		env.Setenv("GOCACHE", c[0])
		env.Setenv("GOMODCACHE", c[1])
		env.Setenv("GOPATH", c[2])
	}
	npmCache := filepath.Join(home, ".npm")
	if h, err := os.UserHomeDir(); err == nil {
		npmCache = filepath.Join(h, ".npm")
	}
	env.Setenv("npm_config_cache", npmCache)
	env.Setenv("npm_config_update_notifier", "false")
}
