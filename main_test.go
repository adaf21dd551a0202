package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/layerctl/layerctl/internal/fakests"
	"github.com/layerctl/layerctl/internal/moto"
	"github.com/layerctl/layerctl/internal/testenv"
)

// The end-to-end tests run the real binary as users type it: scripts in
// testdata/script, one feature each.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"layerctl": main})
}

func TestScripts(t *testing.T) {
	testenv.Integration(t) // the real binary against moto, pip, npm and go
	emulator, err := moto.Start()
	if err != nil {
		t.Fatalf("moto: %v", err)
	}
	t.Cleanup(emulator.Stop)
	stsProxy, err := fakests.New(emulator.URL)
	if err != nil {
		t.Fatalf("sts proxy: %v", err)
	}
	t.Cleanup(stsProxy.Close)
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			// AWS as a CI job sees it, pointed at the emulator; nothing
			// from this machine's own AWS configuration.
			env.Setenv("MOTO_URL", emulator.URL)
			env.Setenv("STS_PROXY_URL", stsProxy.URL) // main_org_test.go
			env.Setenv("AWS_ENDPOINT_URL", emulator.URL)
			env.Setenv("AWS_ACCESS_KEY_ID", "testing")
			env.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
			env.Setenv("AWS_REGION", "us-east-1")
			env.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			env.Setenv("AWS_CONFIG_FILE", env.WorkDir+"/.aws-config")
			env.Setenv("AWS_SHARED_CREDENTIALS_FILE", env.WorkDir+"/.aws-credentials")
			builderEnv(env)
			env.Values["locks"] = heldLocks{}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode": cmdExitcode,
			"sameas":   cmdSameas,
			"lambda":   cmdLambda,
			// main_org_test.go
			"sts": cmdSTS(stsProxy),
			"s3":  cmdS3,
			// main_lock_test.go
			"holdlock":    cmdHoldlock,
			"releaselock": cmdReleaselock,
			"waitfor":     cmdWaitfor,
		},
	})
}

// exitcode N CMD ARGS... runs CMD and fails unless it exits with N; its
// stdout and stderr are kept for the stdout/stderr checks that follow.
func cmdExitcode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %v", err)
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exitcode: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

// sameas DIR1 DIR2 checks that two output folders hold the same single ZIP
// under the same name, byte for byte.
func cmdSameas(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: sameas dir1 dir2")
	}
	one := func(dir string) (string, []byte) {
		ms, _ := filepath.Glob(filepath.Join(ts.MkAbs(dir), "*.zip"))
		if len(ms) != 1 {
			ts.Fatalf("%s holds %d ZIPs, want 1", dir, len(ms))
		}
		b, err := os.ReadFile(ms[0])
		ts.Check(err)
		return filepath.Base(ms[0]), b
	}
	n1, b1 := one(args[0])
	n2, b2 := one(args[1])
	same := n1 == n2 && string(b1) == string(b2)
	if same == neg {
		ts.Fatalf("%s/%s and %s/%s: same=%v", args[0], n1, args[1], n2, same)
	}
}
