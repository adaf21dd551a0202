package publish

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/layerctl/layerctl/internal/crash"
	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer/build"
)

// A panic in publish's goroutine for one region fails that region.
func TestPublishRegionPanicIsAnError(t *testing.T) {
	e := newFaultEnv(t)
	art := mustBuildForPublish(t, e.dir, e.layer, build.Options{OutDir: filepath.Join(e.dir, "dist")})
	targets := []Target{{Layer: e.layer, Artifact: art, Regions: []string{"us-east-1"}}}
	res := Publish(context.Background(), targets, e.lock, Options{
		Lambda: func(string) LambdaAPI { return testenv.LambdaAt(e.fake.URL, "us-east-1") },
		Log:    panicWriter{},
		Sleep:  func(context.Context, time.Duration) error { return nil },
	})
	if len(res) != 1 || !crash.Is(res[0].Err) || !strings.Contains(res[0].Err.Error(), "internal error: a log line") {
		t.Fatalf("results %+v", res)
	}
	if changed, _ := Record(e.lock, targets, res); changed {
		t.Error("a region whose goroutine panicked was recorded in the lock")
	}
}

type panicWriter struct{}

func (panicWriter) Write([]byte) (int, error) { panic("a log line") }
