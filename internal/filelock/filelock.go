// Package filelock makes processes take turns with one file: an exclusive
// OS lock (flock) on it, for a read-modify-write of a file that is replaced
// by rename (internal/atomicfile).
//
// A rename gives the path a new inode, and a lock on the old inode does not
// exclude a process that opens the new one. So a lock counts only once the
// path still names the inode it was taken on; otherwise it is dropped and
// taken again on what the path names now. The writer's turn ends with its
// rename: a process that opens the new file at that moment reads what the
// writer wrote.
package filelock

import (
	"context"
	"time"
)

// Lock is one process's turn with a file. Release ends it.
type Lock struct {
	path string
	held held // the platform's part; empty where locking is not supported
}

// Acquire waits for this process's turn with path, creating path empty if
// it does not exist (readers must take an empty file as no content).
// waiting, when not nil, is called once if another process holds the turn,
// with that process's ID when the system tells it (0 when not). Acquire
// gives up when ctx is done, with ctx's error.
func Acquire(ctx context.Context, path string, waiting func(holder int)) (*Lock, error) {
	h, err := acquire(ctx, path, waiting)
	if err != nil {
		return nil, err
	}
	return &Lock{path: path, held: h}, nil
}

// Release ends the turn. A file that Acquire created and nobody wrote is
// removed first, so a run that changed nothing leaves nothing behind.
func (l *Lock) Release() error {
	return l.held.release(l.path)
}

// poll is how long to wait before trying again: short at first, so a
// turn passes on quickly, then at most a fifth of a second.
func poll(attempt int) time.Duration {
	return min(10*time.Millisecond<<min(attempt, 5), 200*time.Millisecond)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
