package prune

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer/lockstore"
	"github.com/layerctl/layerctl/manifest"
)

// accountRows is a report as "ACCOUNT VERSION STATUS".
func accountRows(r *Report) []string {
	var out []string
	for _, res := range r.Results {
		out = append(out, fmt.Sprintf("%s %d %s", res.Account, res.Version, res.Status))
	}
	return out
}

// Each account is pruned through its own clients, keeping what its own
// lock entry names; an account whose role cannot be assumed is a failed
// row naming it, and nothing is deleted there. The S3 lock, which has no
// turn, is read again right before deleting: a version recorded in it
// meanwhile is kept.
func TestPruneAcrossAccounts(t *testing.T) {
	url := testenv.MotoURL(t)
	ctx := context.Background()
	name := testenv.UniqueName("org-prune")
	a := manifest.Account{ID: "250000000001", Role: "arn:aws:iam::250000000001:role/layerctl"}
	b := manifest.Account{ID: "250000000002", Role: "arn:aws:iam::250000000002:role/layerctl"}
	c := manifest.Account{ID: "250000000003", Role: "arn:aws:iam::250000000003:role/layerctl"}
	lock := manifest.NewLock()
	ll := &manifest.LockLayer{SHA256: strings.Repeat("ab", 32), Regions: map[string]*manifest.LockRegion{}}
	lock.Layers[name] = ll
	for _, acct := range []manifest.Account{a, b} {
		ml := testenv.NewMotoLambdaIn(t, url, acct.ID, "us-east-1")
		var arns []string
		for v := range 3 {
			arns = append(arns, ml.PublishLayer(name, fmt.Sprintf("V = %d\n", v)))
		}
		// The lock names version 2 in a, version 3 in b.
		if acct.ID == a.ID {
			ll.Set(acct.ID, "us-east-1", manifest.LockRegion{ARN: arns[1], Version: 2})
		} else {
			ll.Set(acct.ID, "us-east-1", manifest.LockRegion{ARN: arns[2], Version: 3})
		}
	}
	bucket := strings.ToLower(testenv.UniqueName("prune-lock"))
	sc := testenv.S3At(url, "us-east-1")
	if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	l := testenv.PyLayer(name)
	l.Regions, l.Accounts = []string{"us-east-1"}, []manifest.Account{a, b, c}
	m := &manifest.Manifest{Path: filepath.Join(dir, "layerctl.yaml"), Dir: dir, Version: 1, Layers: []*manifest.Layer{l},
		Lock: manifest.LockPlace{S3: &manifest.LockObject{Bucket: bucket, Key: "layerctl.lock"}}}
	store := &lockstore.S3{Client: sc, Object: m.Lock.S3}
	if _, _, err := store.Update(ctx, func(l *manifest.Lock) bool { *l = *lock; return true }); err != nil {
		t.Fatal(err)
	}
	// Another job records version 1 of account b while prune plans.
	sneak := &sneakyLock{S3API: sc, before: func() {
		if _, _, err := store.Update(ctx, func(l *manifest.Lock) bool {
			l.Layers[name].Set(b.ID, "eu-west-1", manifest.LockRegion{ARN: "x", Version: 9})
			l.Layers[name].Set(b.ID, "us-east-1", manifest.LockRegion{ARN: "arn:aws:lambda:us-east-1:" + b.ID + ":layer:" + name + ":1", Version: 1})
			return true
		}); err != nil {
			t.Error(err)
		}
	}}
	r, err := Run(ctx, RunOptions{Manifest: m, Layers: m.Layers, Keep: 1, Clients: func(context.Context) (*Clients, error) {
		return &Clients{Region: "us-east-1", ID: "123456789012", Lock: sneak, Lambda: func(string) API { t.Error("the credentials' own account was called"); return nil },
			Account: func(_ context.Context, acct manifest.Account) (*Clients, error) {
				if acct.ID == c.ID {
					return nil, fmt.Errorf("assuming role %s: AccessDenied: not authorized", acct.Role)
				}
				return &Clients{Lambda: func(r string) API { return testenv.LambdaIn(url, acct.ID, r) }, ID: acct.ID}, nil
			}}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"250000000001 3 kept", "250000000001 2 kept", "250000000001 1 deleted",
		"250000000002 3 kept", "250000000002 2 deleted", "250000000002 1 kept",
		"250000000003 0 failed",
	}
	if d := cmp.Diff(want, accountRows(r)); d != "" {
		t.Fatalf("results (-want +got):\n%s\n%v", d, rows(r))
	}
	if got := r.Results[5].Reason; got != "named in the S3 lock (found when checked again before deleting)" {
		t.Errorf("b's version 1: %q", got)
	}
	if got := r.Results[6].Reason; !strings.Contains(got, "account 250000000003: assuming role arn:aws:iam::250000000003:role/layerctl: AccessDenied") || !strings.HasSuffix(got, "nothing was deleted") {
		t.Errorf("c: %q", got)
	}
	for acct, left := range map[string][]int64{a.ID: {3, 2}, b.ID: {3, 1}} {
		if got := listed(t, testenv.LambdaIn(url, acct, "us-east-1"), name); !cmp.Equal(got, left) {
			t.Errorf("account %s keeps versions %v, want %v", acct, got, left)
		}
	}
}

// sneakyLock runs before once, right before the reads of the lock after
// the first (those prune makes right before deleting, one per account and
// region), each of which waits for it.
type sneakyLock struct {
	lockstore.S3API
	before func()
	reads  atomic.Int32
	once   sync.Once
}

func (s *sneakyLock) GetObject(ctx context.Context, in *s3.GetObjectInput, o ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	if s.reads.Add(1) >= 2 {
		s.once.Do(s.before)
	}
	return s.S3API.GetObject(ctx, in, o...)
}
