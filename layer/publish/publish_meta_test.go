package publish

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/layer/versions"
	"github.com/layerctl/layerctl/manifest"
)

// metaOf is what moto holds as version n's metadata.
func (e *publishEnv) metaOf(n int64) *lambda.GetLayerVersionOutput {
	e.t.Helper()
	out, err := testenv.LambdaAt(e.url, "us-east-1").GetLayerVersion(context.Background(), &lambda.GetLayerVersionInput{LayerName: aws.String(e.layer.Name), VersionNumber: aws.Int64(n)})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *publishEnv) wantLog(substr string) {
	e.t.Helper()
	if !strings.Contains(e.log.String(), substr) {
		e.t.Errorf("the log does not say %q:\n%s", substr, e.log.String())
	}
}

// A version's runtimes, architectures, license and description are fixed
// for its life: a change to any of them publishes a new version of the
// same content, says why, and the next run publishes nothing.
func TestPublishMetadataChange(t *testing.T) {
	e := newPublishEnv(t, map[string]string{"src/m.py": "x = 1\n"})
	wantResults(t, e.publish(false), "us-east-1 published 1")
	e.wantLog("published version 1: new content")

	e.layer.Runtimes = []string{"python3.12", "python3.13"}
	e.log.Reset()
	res := e.publish(false)
	wantResults(t, res, "us-east-1 published 2")
	e.wantLog("published version 2: runtimes changed (version 1 has python3.12, the manifest asks for python3.12, python3.13)")
	if !strings.HasPrefix(res[0].Reason, "runtimes changed") {
		t.Errorf("reason %q", res[0].Reason)
	}
	if rs := e.metaOf(2).CompatibleRuntimes; !slices.Equal(rs, []types.Runtime{"python3.12", "python3.13"}) {
		t.Errorf("version 2 runtimes %v", rs)
	}
	if lr := e.lock.Layers[e.layer.Name].Regions["us-east-1"]; lr.Version != 2 {
		t.Errorf("the lock records version %d", lr.Version)
	}
	wantResults(t, e.publish(false), "us-east-1 unchanged 2")

	// The order of the manifest's runtimes is no change.
	e.layer.Runtimes = []string{"python3.13", "python3.12"}
	wantResults(t, e.publish(false), "us-east-1 unchanged 2")
	// Nor is a lost lock: the version with both is found by its digest.
	e.lock = &manifest.Lock{Version: 1, Layers: map[string]*manifest.LockLayer{}}
	wantResults(t, e.publish(false), "us-east-1 unchanged 2")

	e.layer.License = "Apache-2.0"
	e.log.Reset()
	wantResults(t, e.publish(false), "us-east-1 published 3")
	e.wantLog(`published version 3: license changed (version 2 has none, the manifest asks for "Apache-2.0")`)
	if got := aws.ToString(e.metaOf(3).LicenseInfo); got != "Apache-2.0" {
		t.Errorf("version 3 license %q", got)
	}
	wantResults(t, e.publish(false), "us-east-1 unchanged 3")

	e.layer.Architectures = []string{"arm64"}
	e.log.Reset()
	wantResults(t, e.publish(false), "us-east-1 published 4")
	e.wantLog("published version 4: architectures changed (version 3 has x86_64, the manifest asks for arm64)")
	if as := e.metaOf(4).CompatibleArchitectures; !slices.Equal(as, []types.Architecture{"arm64"}) {
		t.Errorf("version 4 architectures %v", as)
	}
	wantResults(t, e.publish(false), "us-east-1 unchanged 4")

	e.layer.Description = "HTTP pins"
	e.log.Reset()
	wantResults(t, e.publish(true), "us-east-1 would-publish 0")
	e.wantLog(": description changed (version 4 has the same content)")
	wantResults(t, e.publish(false), "us-east-1 published 5")
	wantResults(t, e.publish(false), "us-east-1 unchanged 5")

	// Back to the first metadata: version 1 holds it, nothing is published.
	e.layer.Runtimes, e.layer.Architectures, e.layer.License, e.layer.Description = []string{"python3.12"}, []string{"x86_64"}, "", ""
	wantResults(t, e.publish(false), "us-east-1 unchanged 1")
	if vs := e.versions("us-east-1"); len(vs) != 5 {
		t.Errorf("versions %v", vs)
	}
}

// A version published by an earlier layerctl (the digest tag alone in its
// description, made here with the SDK) is the version when its metadata is
// the manifest's, whatever the order of its runtimes; when it is not, a new
// version is published.
func TestPublishRecognisesAnEarlierVersion(t *testing.T) {
	e := newPublishEnv(t, map[string]string{"src/m.py": "x = 1\n"})
	e.layer.Description = "shared code"
	e.layer.Runtimes = []string{"python3.12", "python3.13"}
	art := mustBuildForPublish(t, e.dir, e.layer, build.Options{OutDir: filepath.Join(e.dir, "dist")})
	zip, err := os.ReadFile(art.Path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = testenv.LambdaAt(e.url, "us-east-1").PublishLayerVersion(context.Background(), &lambda.PublishLayerVersionInput{
		LayerName:               aws.String(e.layer.Name),
		Description:             aws.String("shared code layerctl-sha256:" + art.SHA256),
		Content:                 &types.LayerVersionContentInput{ZipFile: zip},
		CompatibleRuntimes:      []types.Runtime{"python3.13", "python3.12"},
		CompatibleArchitectures: []types.Architecture{"x86_64"},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantResults(t, e.publish(false), "us-east-1 unchanged 1")

	e.layer.Architectures = []string{"x86_64", "arm64"}
	e.log.Reset()
	wantResults(t, e.publish(false), "us-east-1 published 2")
	e.wantLog("architectures changed (version 1 has x86_64, the manifest asks for arm64, x86_64)")
	wantResults(t, e.publish(false), "us-east-1 unchanged 2")
}

// What Lambda answers about another version reaches the log only in a
// form that cannot act on a terminal.
func TestPublishReasonPrintsSafely(t *testing.T) {
	p := &regionPublisher{t: &Target{Layer: testenv.PyLayer("l"), Artifact: &layer.Artifact{SHA256: strings.Repeat("0", 64)}}}
	other := &versions.Version{Number: 1, Runtimes: []string{"python3.12\x1b[2J"}, Architectures: []string{"x86_64"}, License: "MIT\x1b]0;x\x07",
		Description: "layerctl-sha256:" + strings.Repeat("0", 64)}
	got := p.why(other)
	if strings.ContainsAny(got, "\x1b\x07") {
		t.Errorf("why = %q: control characters reach the log", got)
	}
	for _, want := range []string{`runtimes changed (version 1 has "python3.12\x1b[2J", the manifest asks for python3.12)`, `license changed (version 1 has "MIT\x1b]0;x\a", the manifest asks for none)`} {
		if !strings.Contains(got, want) {
			t.Errorf("why = %q, want it to hold %q", got, want)
		}
	}
}
