package lambdafacts

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The regions are the AWS SDK's: read its partitions.json from the module
// cache (the version go.mod pins) and compare.
func TestRegionsAreTheSDKs(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-sdk-go-v2").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "internal", "endpoints", "awsrulesfn", "partitions.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Partitions []struct {
			ID      string
			Regions map[string]json.RawMessage
		}
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, p := range doc.Partitions {
		for r := range p.Regions {
			if !strings.HasSuffix(r, "-global") {
				want[r] = p.ID
			}
		}
	}
	if diff := cmp.Diff(want, partitions); diff != "" {
		t.Errorf("partitions differ from the SDK's partitions.json (-sdk +ours); update regions.go:\n%s", diff)
	}
}

func TestRegionNames(t *testing.T) {
	for _, c := range []struct {
		region, partition string
		valid             bool
	}{
		{"us-east-1", "aws", true},
		{"eusc-de-east-1", "aws-eusc", true},
		{"cn-north-1", "aws-cn", true},
		{"us-gov-west-1", "aws-us-gov", true},
		{"us-isob-east-1", "aws-iso-b", true},
		{"xx-future-9", "aws", true},
		{"us_east_1", "aws", false},
		{"useast1", "aws", false},
	} {
		if got := ValidRegion(c.region); got != c.valid {
			t.Errorf("ValidRegion(%q) = %v", c.region, got)
		}
		if got := Partition(c.region); got != c.partition {
			t.Errorf("Partition(%q) = %q, want %q", c.region, got, c.partition)
		}
	}
}
