package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// shardedCommands are the commands that take --shard and --list-shards.
var shardedCommands = []string{"publish", "attach", "status", "prune", "deploy"}

const orgManifest = `version: 1
role_template: arn:aws:iam::{account}:role/layerctl
accounts:
  - {id: "111122223333"}
  - {id: "444455556666", regions: [eu-west-1]}
layers:
  shared:
    runtimes: [python3.12]
    regions: [us-east-1, us-west-2]
    files: [{from: src, to: python}]
`

// --list-shards N prints which units each shard gets, and nothing is
// built, read or called; the JSON lists every shard, an empty one too.
func TestListShards(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "layerctl.yaml"), []byte(orgManifest), 0o644)
	for _, command := range shardedCommands {
		code, out, errs := run(t, nil, "-f", filepath.Join(dir, "layerctl.yaml"), command, "--list-shards", "2")
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", command, code, errs)
		}
		want := "SHARD  ACCOUNT       REGION     LAYER\n" +
			"1/2    111122223333  us-east-1  shared\n" +
			"2/2    111122223333  us-west-2  shared\n" +
			"2/2    444455556666  eu-west-1  shared\n"
		if out != want {
			t.Errorf("%s --list-shards 2:\n%s\nwant:\n%s", command, out, want)
		}
	}
	code, out, errs := run(t, nil, "-f", filepath.Join(dir, "layerctl.yaml"), "-o", "json", shardedCommands[len(shardedCommands)-1], "--list-shards", "4")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	want := `{
  "shards": [
    {"shard": 1, "of": 4, "units": []},
    {"shard": 2, "of": 4, "units": [{"layer": "shared", "account": "111122223333", "region": "us-east-1"}]},
    {"shard": 3, "of": 4, "units": [{"layer": "shared", "account": "111122223333", "region": "us-west-2"}]},
    {"shard": 4, "of": 4, "units": [{"layer": "shared", "account": "444455556666", "region": "eu-west-1"}]}
  ]
}
`
	if out != expandJSON(t, want) {
		t.Errorf("-o json:\n%s\nwant:\n%s", out, expandJSON(t, want))
	}
	if _, err := os.Stat(filepath.Join(dir, "dist")); err == nil {
		t.Error("--list-shards built something")
	}
}

// --shard and --list-shards are checked before anything is done: exit 2
// with what to type.
func TestShardFlagsAreChecked(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "layerctl.yaml"), []byte(orgManifest), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--shard", "3"}, `--shard "3" is not I/N: give this job's shard and the number of shards, e.g. --shard 3/8`},
		{[]string{"--shard", "0/8"}, `--shard "0/8": the shard must be 1 to 8 (shards are numbered from 1)`},
		{[]string{"--shard", "9/8"}, `--shard "9/8": the shard must be 1 to 8`},
		{[]string{"--shard", "1/1001"}, `--shard "1/1001": the number of shards must be 1 to 1000`},
		{[]string{"--list-shards", "0"}, ""},
		{[]string{"--list-shards", "-1"}, `--list-shards: the number of shards must be 1 to 1000`},
		{[]string{"--list-shards", "2", "--shard", "1/2"}, `--list-shards N prints every shard: give it without --shard`},
	} {
		for _, command := range shardedCommands {
			args := append([]string{"-f", filepath.Join(dir, "layerctl.yaml"), command}, tc.args...)
			if command == "prune" {
				args = append(args, "--keep", "1")
			}
			code, _, errs := run(t, nil, args...)
			if tc.want == "" {
				continue // --list-shards 0 is the flag's default: not listing
			}
			if code != ExitInvalid || !strings.Contains(errs, tc.want) {
				t.Errorf("%s %v: exit %d\n%s\nwant exit 2 and %q", command, tc.args, code, errs, tc.want)
			}
		}
	}
}
