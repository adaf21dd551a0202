package lockstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/layerctl/layerctl/internal/awsretry"
	"github.com/layerctl/layerctl/manifest"
)

// S3API is what the S3 lock calls, with the SDK's signatures.
type S3API interface {
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

var _ S3API = (*s3.Client)(nil)

// S3 is the lock kept as an S3 object.
type S3 struct {
	Client S3API
	Object *manifest.LockObject
	// Mirror, when set, is a local file the lock is saved to after every
	// write (lock: {local: true}).
	Mirror string
	// MaxSize bounds what is read; 0 means manifest.MaxLockSize.
	MaxSize int64
	// Attempts bounds the writes of one Update that find another job
	// wrote first; 0 means as many as Patience allows.
	Attempts int
	// Patience bounds the time one Update waits in all between its
	// attempts; 0 means DefaultPatience. Jobs of a large matrix that end
	// together take turns at the object: a bound in time, not in tries,
	// lets each have one.
	Patience time.Duration
	// Sleep waits between attempts; nil is the clock (tests make it instant).
	Sleep func(context.Context, time.Duration) error
}

// DefaultPatience is how long an Update waits in all for other jobs that
// keep writing the lock first: a turn at the object is one read and one
// write, about a tenth of a second, so some thousand other jobs can write
// first before it gives up.
const DefaultPatience = 2 * time.Minute

// Error is an S3 lock that cannot be read or used; it is never
// overwritten.
type Error struct {
	URL string
	Err error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %v; fix it or delete it (publish finds what is already published by its digest and writes it again)", e.URL, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Load reads the lock and its ETag; a missing object is an empty lock
// with no ETag.
func (s *S3) Load(ctx context.Context) (*manifest.Lock, string, error) {
	if s.Client == nil {
		return nil, "", fmt.Errorf("reading the lock %s: this run has no S3 client for it", s.Object.URL())
	}
	out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Object.Bucket), Key: aws.String(s.Object.Key)})
	if isStatus(err, http.StatusNotFound) {
		return manifest.NewLock(), "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("reading the lock %s: %w", s.Object.URL(), awsretry.Explain(err, s.where(), lockNeeds))
	}
	defer out.Body.Close()
	limit := s.maxSize()
	if out.ContentLength != nil && *out.ContentLength > limit {
		return nil, "", &Error{s.Object.URL(), fmt.Errorf("it is %d bytes, more than the %d any lock needs", *out.ContentLength, limit)}
	}
	data, err := io.ReadAll(io.LimitReader(out.Body, limit+1))
	if err != nil {
		return nil, "", fmt.Errorf("reading the lock %s: %w", s.Object.URL(), err)
	}
	if int64(len(data)) > limit {
		return nil, "", &Error{s.Object.URL(), fmt.Errorf("it is more than the %d bytes any lock needs", limit)}
	}
	lock, err := manifest.ParseLock(data)
	if err != nil {
		return nil, "", &Error{s.Object.URL(), err}
	}
	return lock, aws.ToString(out.ETag), nil
}

// where is the lock's bucket, for the permissions an access error lacks.
func (s *S3) where() string {
	if s.Object.Region != "" {
		return "bucket " + s.Object.Bucket + " (" + s.Object.Region + ")"
	}
	return "bucket " + s.Object.Bucket
}

func (s *S3) maxSize() int64 {
	if s.MaxSize > 0 {
		return s.MaxSize
	}
	return manifest.MaxLockSize
}

// Update reads the lock, lets change add to it (it reports whether it
// changed anything) and writes it back only if no other job wrote it
// meanwhile: If-None-Match: * when there was none, If-Match: its ETag
// otherwise. When another job wrote first (412, or 409 for writes at the
// same instant) it reads the lock again and applies change to that, after
// a jittered backoff, so change must add to whatever lock it is given. It
// returns the lock as written (or as read, when change changed nothing),
// and whether it wrote.
func (s *S3) Update(ctx context.Context, change func(*manifest.Lock) bool) (*manifest.Lock, bool, error) {
	patience := s.Patience
	if patience <= 0 {
		patience = DefaultPatience
	}
	sleep := s.Sleep
	if sleep == nil {
		sleep = awsretry.Sleep
	}
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		lock, etag, err := s.Load(ctx)
		if err != nil {
			return nil, false, err
		}
		if !change(lock) {
			return lock, false, nil
		}
		err = s.put(ctx, lock, etag)
		if err == nil {
			return lock, true, s.mirror(lock)
		}
		if !wroteFirst(err) {
			return nil, false, fmt.Errorf("writing the lock %s: %w", s.Object.URL(), awsretry.Explain(err, s.where(), lockNeeds))
		}
		wait := awsretry.Backoff(attempt, err, 100*time.Millisecond, 5*time.Second)
		if attempt == s.Attempts || waited+wait > patience {
			return nil, false, fmt.Errorf("writing the lock %s: other jobs wrote it first %d times in a row, over %s; nothing of this run was recorded (run it again: what it published is found by its digest)", s.Object.URL(), attempt, waited.Round(100*time.Millisecond))
		}
		waited += wait
		if err := sleep(ctx, wait); err != nil {
			return nil, false, fmt.Errorf("stopped while writing the lock %s: %w", s.Object.URL(), err)
		}
	}
}

// put writes lock if the object is still what was read: none (etag "")
// or the one with etag.
func (s *S3) put(ctx context.Context, lock *manifest.Lock, etag string) error {
	data, err := lock.Marshal()
	if err != nil {
		return err
	}
	in := &s3.PutObjectInput{Bucket: aws.String(s.Object.Bucket), Key: aws.String(s.Object.Key),
		Body: strings.NewReader(string(data)), ContentLength: aws.Int64(int64(len(data))), ContentType: aws.String("application/json")}
	if etag == "" {
		in.IfNoneMatch = aws.String("*")
	} else {
		in.IfMatch = aws.String(etag)
	}
	_, err = s.Client.PutObject(ctx, in)
	return err
}

func (s *S3) mirror(lock *manifest.Lock) error {
	if s.Mirror == "" {
		return nil
	}
	if err := lock.Save(s.Mirror); err != nil {
		return fmt.Errorf("the lock %s was written, but not its local copy: %w", s.Object.URL(), err)
	}
	return nil
}

// wroteFirst reports whether a conditional write failed because another
// job wrote (or deleted) the object since it was read: 412 Precondition
// Failed, 409 ConditionalRequestConflict, or 404 to an If-Match of an
// object deleted meanwhile.
func wroteFirst(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "PreconditionFailed" || ae.ErrorCode() == "ConditionalRequestConflict") {
		return true
	}
	return isStatus(err, http.StatusPreconditionFailed) || isStatus(err, http.StatusConflict) || isStatus(err, http.StatusNotFound)
}

func isStatus(err error, code int) bool {
	var status interface{ HTTPStatusCode() int }
	return errors.As(err, &status) && status.HTTPStatusCode() == code
}

// lockNeeds is what the S3 lock needs.
const lockNeeds = "the S3 lock needs s3:GetObject and s3:PutObject on its object (and s3:ListBucket on the bucket, so that a missing lock reads as empty rather than forbidden)"
