package pacing

import (
	"context"
	"testing"
	"time"
)

// Each of Lambda's request quotas has its own limiter: per account and
// region, and per kind of call. A kind not paced has none.
func TestOneLimiterPerQuota(t *testing.T) {
	l := New(4, time.Millisecond, 80, 12)
	east, west := Quota{Region: "us-east-1", Kind: Other}, Quota{Region: "eu-west-1", Kind: Other}
	if l.For(east) != l.For(east) {
		t.Error("one quota got two limiters")
	}
	if l.For(east) == l.For(west) || l.For(east) == l.For(Quota{Region: "us-east-1", Kind: Read}) {
		t.Error("two quotas share a limiter")
	}
	if l.For(east) == l.For(Quota{Account: "111122223333", Region: "us-east-1", Kind: Other}) {
		t.Error("two accounts share a limiter in one region")
	}
	if got := float64(l.For(Quota{Region: "us-east-1", Kind: Read}).Limit()); got != 80 {
		t.Errorf("GetFunction paced at %v/s, want 80", got)
	}
	if lim := l.For(east); float64(lim.Limit()) != 12 || lim.Burst() != 3 {
		t.Errorf("other calls paced at %v/s, burst %d; want 12/s, 3", lim.Limit(), lim.Burst())
	}
	if New(4, time.Millisecond, 0, 0).For(east) != nil {
		t.Error("rate 0 paces")
	}
}

// Paced at 20 per second with a burst of 5, 15 calls in one region take at
// least half a second, while another region's are not held back by them.
func TestPacingIsPerRegion(t *testing.T) {
	l := New(100, time.Millisecond, 0, 20)
	start := time.Now()
	for range 15 {
		if err := Pace(context.Background(), l.For(Quota{Region: "us-east-1", Kind: Other})); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took < 450*time.Millisecond {
		t.Errorf("15 calls at 20/s took %v", took)
	}
	start = time.Now()
	for range 5 {
		if err := Pace(context.Background(), l.For(Quota{Region: "eu-west-1", Kind: Other})); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Errorf("another region's first 5 calls waited %v", took)
	}
}

// Two accounts in one region are two quotas: 15 calls of one account at
// 20 per second do not hold the other account's first calls back.
func TestPacingIsPerAccount(t *testing.T) {
	l := New(100, time.Millisecond, 0, 20)
	start := time.Now()
	for range 15 {
		if err := Pace(context.Background(), l.For(Quota{Account: "111122223333", Region: "us-east-1", Kind: Other})); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took < 450*time.Millisecond {
		t.Errorf("15 calls at 20/s took %v", took)
	}
	start = time.Now()
	for range 5 {
		if err := Pace(context.Background(), l.For(Quota{Account: "444455556666", Region: "us-east-1", Kind: Other})); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Errorf("another account's first 5 calls in the region waited %v", took)
	}
}
