package manifest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRegionsFor(t *testing.T) {
	own := &Layer{Name: "a", Publishing: Publishing{Regions: []string{"eu-west-1", "us-east-1"}}}
	none := &Layer{Name: "b"}
	tests := []struct {
		name       string
		l          *Layer
		given      []string
		configured string
		want       []string
		unknown    []string
		err        string
	}{
		{"the flag wins", own, []string{"us-west-2", "", "us-west-2", "eu-west-1"}, "ap-south-1", []string{"us-west-2", "eu-west-1"}, nil, ""},
		{"the manifest's", own, nil, "ap-south-1", []string{"eu-west-1", "us-east-1"}, nil, ""},
		{"the SDK's", none, nil, "ap-south-1", []string{"ap-south-1"}, nil, ""},
		{"an unknown region is used", none, []string{"xx-mars-1"}, "", []string{"xx-mars-1"}, []string{"xx-mars-1"}, ""},
		{"none at all", none, nil, "", nil, nil, `no region for layer "b": set regions: in the manifest (layer or defaults), pass --region, or set AWS_REGION`},
		{"not a region", none, []string{"us-east-1", "useast1"}, "", nil, nil, `"useast1" is not an AWS region`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, unknown, err := tt.l.RegionsFor(tt.given, tt.configured)
			if tt.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
					t.Fatalf("error %v, want one starting %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("regions (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.unknown, unknown); d != "" {
				t.Errorf("unknown (-want +got):\n%s", d)
			}
		})
	}
}
