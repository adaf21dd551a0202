package cmd

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/layer"
)

// The keys of `build --output json` are a contract with users' pipelines.
func TestBuildJSONKeys(t *testing.T) {
	b, err := json.Marshal(buildJSON([]*layer.Artifact{{Layer: "x", Runtimes: []string{"python3.12"}, Architectures: []string{"arm64"}}}))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Artifacts []map[string]any `json:"artifacts"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range got.Artifacts[0] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"architectures", "code_sha256", "files", "layer", "path", "runtimes", "sha256", "size", "unzipped_size"}
	if d := cmp.Diff(want, keys); d != "" {
		t.Errorf("artifact keys (-want +got):\n%s", d)
	}
	empty, _ := json.Marshal(buildJSON(nil))
	if string(empty) != `{"artifacts":[]}` {
		t.Errorf("no artifacts: %s", empty)
	}
}
