package lockstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/manifest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopMoto()
	os.Exit(code)
}

// newLock is an S3 lock in a bucket of its own in moto.
func newLock(t *testing.T) (*S3, *s3.Client) {
	url := testenv.MotoURL(t)
	c := testenv.S3At(url, "us-east-1")
	bucket := strings.ToLower(testenv.UniqueName("lock"))
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	return &S3{Client: c, Object: &manifest.LockObject{Bucket: bucket, Key: "org/layerctl.lock"}, Sleep: instant}, c
}

func instant(ctx context.Context, d time.Duration) error { return ctx.Err() }

// record is a change adding layer's version in account and region.
func record(layer, account, region string, version int64) func(*manifest.Lock) bool {
	return func(l *manifest.Lock) bool {
		ll := l.Layers[layer]
		if ll == nil {
			ll = &manifest.LockLayer{SHA256: "ab", CodeSHA256: "qw==", Regions: map[string]*manifest.LockRegion{}}
			l.Layers[layer] = ll
		}
		want := manifest.LockRegion{ARN: fmt.Sprintf("arn:aws:lambda:%s:%s:layer:%s:%d", region, account, layer, version), Version: version}
		if cur := ll.RegionsIn(account)[region]; cur != nil && *cur == want {
			return false
		}
		ll.Set(account, region, want)
		return true
	}
}

// A missing lock is empty; the first write creates it, the next replaces
// it, and one that changes nothing writes nothing.
func TestS3LockCreatesAndReplaces(t *testing.T) {
	s, c := newLock(t)
	ctx := context.Background()
	lock, etag, err := s.Load(ctx)
	if err != nil || etag != "" || len(lock.Layers) != 0 {
		t.Fatalf("missing lock: %+v %q %v", lock, etag, err)
	}
	if _, wrote, err := s.Update(ctx, record("shared", "111122223333", "us-east-1", 1)); err != nil || !wrote {
		t.Fatalf("first write: %v, %v", wrote, err)
	}
	if _, wrote, err := s.Update(ctx, record("shared", "444455556666", "eu-west-1", 1)); err != nil || !wrote {
		t.Fatalf("second write: %v, %v", wrote, err)
	}
	before, _ := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.Object.Bucket), Key: aws.String(s.Object.Key)})
	if _, wrote, err := s.Update(ctx, record("shared", "444455556666", "eu-west-1", 1)); err != nil || wrote {
		t.Fatalf("a write of nothing new: %v, %v", wrote, err)
	}
	after, _ := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.Object.Bucket), Key: aws.String(s.Object.Key)})
	if aws.ToString(before.ETag) != aws.ToString(after.ETag) {
		t.Error("an unchanged lock was written again")
	}
	lock, _, err = s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if lock.Version != 2 || lock.Layers["shared"].RegionsIn("111122223333")["us-east-1"] == nil || lock.Layers["shared"].RegionsIn("444455556666")["eu-west-1"] == nil {
		t.Errorf("lock: %+v", lock.Layers["shared"])
	}
}

// Jobs writing at once lose nothing: each job's write that finds another
// wrote first (412 from moto, for real) reads again and adds its entry to
// what is there.
func TestS3LockConcurrentWritersLoseNothing(t *testing.T) {
	s, _ := newLock(t)
	var conflicts atomic.Int32
	counting := &countingS3{S3API: s.Client, conflicts: &conflicts}
	const jobs = 12
	var wg sync.WaitGroup
	errs := make([]error, jobs)
	for i := range jobs {
		wg.Go(func() {
			job := *s
			job.Client = counting
			job.Attempts = 50
			_, _, errs[i] = job.Update(context.Background(), record("shared", fmt.Sprintf("%012d", 100000000000+i), "us-east-1", int64(i+1)))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	lock, _, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(lock.Layers["shared"].Accounts); n != jobs {
		t.Errorf("the lock holds %d of %d jobs' entries", n, jobs)
	}
	if conflicts.Load() == 0 {
		t.Log("no write found another first this time: the writes did not overlap")
	}
}

// Another job's write between this one's read and write: S3 refuses the
// stale write (If-Match), and the retry keeps both entries.
func TestS3LockKeepsTheOtherJobsWrite(t *testing.T) {
	s, c := newLock(t)
	ctx := context.Background()
	if _, _, err := s.Update(ctx, record("shared", "111122223333", "us-east-1", 1)); err != nil {
		t.Fatal(err)
	}
	other := *s
	var conflicts atomic.Int32
	s.Client = &sneakingS3{S3API: c, before: func() {
		if _, _, err := other.Update(ctx, record("shared", "444455556666", "us-east-1", 7)); err != nil {
			t.Error(err)
		}
	}, conflicts: &conflicts}
	if _, wrote, err := s.Update(ctx, record("shared", "777788889999", "us-east-1", 3)); err != nil || !wrote {
		t.Fatalf("%v, %v", wrote, err)
	}
	if conflicts.Load() != 1 {
		t.Errorf("%d writes refused, want 1", conflicts.Load())
	}
	lock, _, _ := s.Load(ctx)
	for _, a := range []string{"111122223333", "444455556666", "777788889999"} {
		if lock.Layers["shared"].RegionsIn(a)["us-east-1"] == nil {
			t.Errorf("account %s's entry was lost", a)
		}
	}

	// Created by another job between the read (nothing) and the write
	// (If-None-Match: *): refused too, then merged.
	s2, c2 := newLock(t)
	other2 := *s2
	s2.Client = &sneakingS3{S3API: c2, before: func() {
		if _, _, err := other2.Update(ctx, record("shared", "444455556666", "us-east-1", 1)); err != nil {
			t.Error(err)
		}
	}, conflicts: &conflicts}
	if _, _, err := s2.Update(ctx, record("shared", "111122223333", "us-east-1", 1)); err != nil {
		t.Fatal(err)
	}
	lock, _, _ = s2.Load(ctx)
	if len(lock.Layers["shared"].Accounts) != 2 {
		t.Errorf("after a race to create: %+v", lock.Layers["shared"].Accounts)
	}
}

// A job that keeps finding another wrote first gives up, saying so, after
// the attempts allowed, or once it has waited as long as its patience
// allows; an interrupt stops it at once.
func TestS3LockGivesUpAndStops(t *testing.T) {
	s, c := newLock(t)
	ctx := context.Background()
	var conflicts atomic.Int32
	n := 0
	other := *s
	s.Client = &sneakingS3{S3API: c, always: true, before: func() {
		n++
		other.Update(ctx, record("noise", "111122223333", "us-east-1", int64(n)))
	}, conflicts: &conflicts}
	s.Attempts = 3
	_, _, err := s.Update(ctx, record("shared", "444455556666", "us-east-1", 1))
	if err == nil || !regexp.MustCompile(`other jobs wrote it first 3 times in a row, over [0-9.]+m?s; nothing of this run was recorded`).MatchString(err.Error()) {
		t.Fatalf("error %v", err)
	}

	// No count: the waits, jittered and growing, stop within the patience.
	s.Attempts = 0
	s.Patience = 20 * time.Second
	var waited time.Duration
	sleeps := 0
	s.Sleep = func(ctx context.Context, d time.Duration) error { waited += d; sleeps++; return nil }
	_, _, err = s.Update(ctx, record("shared", "444455556666", "us-east-1", 1))
	if err == nil || !strings.Contains(err.Error(), "nothing of this run was recorded") || waited > s.Patience || waited < s.Patience-5*time.Second || sleeps < 6 {
		t.Fatalf("after %d waits of %s in all: %v", sleeps, waited, err)
	}
	if want := fmt.Sprintf("wrote it first %d times in a row, over %s;", sleeps+1, waited.Round(100*time.Millisecond)); !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want %q", err, want)
	}

	cctx, cancel := context.WithCancel(ctx)
	s.Attempts = 0
	s.Sleep = func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
	_, _, err = s.Update(cctx, record("shared", "444455556666", "us-east-1", 1))
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "stopped while writing the lock") {
		t.Fatalf("interrupted: %v", err)
	}
}

// A lock object is untrusted input: larger than a lock can be, or not a
// lock, it is refused, never overwritten.
func TestS3LockRefusesBadObjects(t *testing.T) {
	s, c := newLock(t)
	ctx := context.Background()
	put := func(body string) {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.Object.Bucket), Key: aws.String(s.Object.Key), Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	s.MaxSize = 64
	put(`{"version": 1, "layers": {}}` + strings.Repeat(" ", 100))
	if _, _, err := s.Load(ctx); err == nil || !strings.Contains(err.Error(), "more than the 64 any lock needs") {
		t.Errorf("too large: %v", err)
	}
	s.MaxSize = 0
	put(`{"version": 1, "layers": nope`)
	_, wrote, err := s.Update(ctx, record("shared", "111122223333", "us-east-1", 1))
	var le *Error
	if wrote || !errors.As(err, &le) || !strings.Contains(err.Error(), "s3://"+s.Object.Bucket+"/org/layerctl.lock: not a valid lock file") || !strings.Contains(err.Error(), "fix it or delete it") {
		t.Errorf("not a lock: wrote %v, %v", wrote, err)
	}
	out, _ := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Object.Bucket), Key: aws.String(s.Object.Key)})
	if n := aws.ToInt64(out.ContentLength); n != int64(len(`{"version": 1, "layers": nope`)) {
		t.Errorf("the bad lock was overwritten (%d bytes now)", n)
	}
}

// lock: {local: true} saves the lock beside the manifest after each write.
func TestS3LockMirror(t *testing.T) {
	s, _ := newLock(t)
	s.Mirror = filepath.Join(t.TempDir(), manifest.LockFile)
	if _, _, err := s.Update(context.Background(), record("shared", "111122223333", "us-east-1", 1)); err != nil {
		t.Fatal(err)
	}
	local, err := manifest.LoadLock(s.Mirror)
	if err != nil || local.Layers["shared"].RegionsIn("111122223333")["us-east-1"].Version != 1 {
		t.Errorf("local copy: %+v, %v", local, err)
	}
}

// countingS3 counts the conditional writes S3 refused.
type countingS3 struct {
	S3API
	conflicts *atomic.Int32
}

func (c *countingS3) PutObject(ctx context.Context, in *s3.PutObjectInput, o ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	out, err := c.S3API.PutObject(ctx, in, o...)
	if wroteFirst(err) {
		c.conflicts.Add(1)
	}
	return out, err
}

// sneakingS3 lets another job write (before) right before this job's
// first write, or every one (always), and counts the writes S3 refused.
type sneakingS3 struct {
	S3API
	before    func()
	always    bool
	done      bool
	conflicts *atomic.Int32
}

func (c *sneakingS3) PutObject(ctx context.Context, in *s3.PutObjectInput, o ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	if !c.done || c.always {
		c.done = true
		c.before()
	}
	out, err := c.S3API.PutObject(ctx, in, o...)
	if wroteFirst(err) {
		c.conflicts.Add(1)
	}
	return out, err
}

// lock pull writes the S3 lock beside the manifest, once; a manifest
// without an S3 lock, or an S3 lock not written yet, is an error that
// says so, and the local file is left alone.
func TestPull(t *testing.T) {
	s, c := newLock(t)
	dir := t.TempDir()
	m := &manifest.Manifest{Path: filepath.Join(dir, "layerctl.yaml"), Dir: dir, Lock: manifest.LockPlace{S3: s.Object}}
	ctx := context.Background()
	if _, err := Pull(ctx, m, c, nil); err == nil || !strings.Contains(err.Error(), "there is no lock at s3://"+s.Object.Bucket+"/org/layerctl.lock yet: publish (or deploy) writes it") {
		t.Fatalf("no S3 lock yet: %v", err)
	}
	if _, err := os.Stat(m.LockPath()); err == nil {
		t.Error("a local lock was made from nothing")
	}
	if _, _, err := s.Update(ctx, record("shared", "111122223333", "us-east-1", 4)); err != nil {
		t.Fatal(err)
	}
	p, err := Pull(ctx, m, c, nil)
	if err != nil || !p.Written || p.Layers != 1 || p.Path != m.LockPath() {
		t.Fatalf("pull: %+v, %v", p, err)
	}
	local, err := manifest.LoadLock(m.LockPath())
	if err != nil || local.Layers["shared"].RegionsIn("111122223333")["us-east-1"].Version != 4 {
		t.Errorf("local: %+v, %v", local, err)
	}
	if p, err := Pull(ctx, m, c, nil); err != nil || p.Written {
		t.Errorf("again: %+v, %v; want nothing written", p, err)
	}
	if _, err := Pull(ctx, &manifest.Manifest{Path: m.Path, Dir: dir}, c, nil); !errors.Is(err, ErrNoS3Lock) {
		t.Errorf("no lock.s3: %v", err)
	}
}
