package archive

import (
	"context"
	"sync"
)

// The writer keeps many chunks in flight, so that a worker never waits
// while a big chunk at the head of the line holds the writer: most files
// of a layer are a few KB, and each chunk takes buffers (and a share of
// the budget) the size of its bytes, not a whole chunk's.

const (
	// budgetUnit is what one unit of the in-flight budget stands for.
	budgetUnit = 32 << 10
	// inFlight is the budget: how many bytes of files can be read and not
	// yet written (each also holds its compressed bytes, in buffers up to
	// twice their size). Its 128 units let two workers run well ahead of
	// a big chunk on small files; more gains nothing measurable (bench/).
	inFlight = 4 << 20
)

// budget bounds the bytes in flight between the producer, which takes
// from it, and the writer, which gives back what it has written. Only the
// producer waits on it, so taking units one by one cannot deadlock.
type budget chan struct{}

func newBudget() budget { return make(budget, inFlight/budgetUnit) }

// units is a chunk of n bytes' share of the budget.
func units(n int64) int { return int(max(1, min((n+budgetUnit-1)/budgetUnit, inFlight/budgetUnit))) }

// take waits for k units, or for ctx to end (false).
func (b budget) take(ctx context.Context, k int) bool {
	for range k {
		select {
		case b <- struct{}{}:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

func (b budget) give(k int) {
	for range k {
		<-b
	}
}

// bufPool hands out byte slices by size class, so that a small file's
// chunk holds a small buffer.
type bufPool struct{ classes [len(bufSizes)]sync.Pool }

// bufSizes are the classes: doubling from 4 KB, up to a whole chunk with
// its dictionary and one byte more (see compressor.run).
var bufSizes = [...]int{4 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10, 128 << 10, 256 << 10, 512 << 10, ChunkSize + dictSize + 1}

// classOf is the smallest class whose buffers hold n bytes, or -1.
func classOf(n int) int {
	for c, size := range bufSizes {
		if n <= size {
			return c
		}
	}
	return -1
}

// get returns an empty slice that holds n bytes without growing.
func (p *bufPool) get(n int) []byte {
	c := classOf(n)
	if c < 0 {
		return make([]byte, 0, n)
	}
	if b, ok := p.classes[c].Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return make([]byte, 0, bufSizes[c])
}

// put takes back a slice from get; one that grew past its class, or was
// never one, is left to the garbage collector.
func (p *bufPool) put(b []byte) {
	c := classOf(cap(b))
	if c < 0 || cap(b) != bufSizes[c] {
		return
	}
	b = b[:0]
	p.classes[c].Put(&b)
}
