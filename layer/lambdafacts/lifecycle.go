package lambdafacts

import (
	"fmt"
	"time"
)

// LifecycleChecked is the day the table below was last compared with the
// "Lambda runtimes" page of the AWS Lambda developer guide
// (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html) and
// the per-language pages it links to. AWS moves these dates, usually later:
// keep the day true when the table changes.
const LifecycleChecked = "2026-11-30"

// Lifecycle is when AWS stops supporting a runtime, in three steps:
// deprecation (no more patches or support; the console no longer offers it),
// then no new functions may be created with it, then existing functions may
// no longer be updated. A zero date is one AWS has not announced.
type Lifecycle struct {
	Deprecate, BlockCreate, BlockUpdate time.Time
}

// Phase is where a runtime is in its lifecycle on a given day.
type Phase int

const (
	PhaseSupported     Phase = iota // none of the dates has come
	PhaseDeprecated                 // deprecated: still creatable and updatable
	PhaseCreateBlocked              // no new functions; existing ones still updatable
	PhaseUpdateBlocked              // existing functions can no longer be updated either
)

// PhaseAt is the runtime's phase on the day of t (dates are whole UTC days).
func (l Lifecycle) PhaseAt(t time.Time) Phase {
	day := t.UTC()
	reached := func(d time.Time) bool { return !d.IsZero() && !day.Before(d) }
	switch {
	case reached(l.BlockUpdate):
		return PhaseUpdateBlocked
	case reached(l.BlockCreate):
		return PhaseCreateBlocked
	case reached(l.Deprecate):
		return PhaseDeprecated
	}
	return PhaseSupported
}

// DeprecatedAt reports whether AWS has deprecated runtime rt by the day of
// now. Deprecated runtimes are still valid in a manifest, with a warning.
func DeprecatedAt(rt string, now time.Time) bool {
	l, _ := RuntimeLifecycle(rt)
	return l.PhaseAt(now) != PhaseSupported
}

// RuntimeLifecycle returns the lifecycle of runtime rt, and whether the
// table knows it (every runtime of the SDK's enum is in it: see the test).
func RuntimeLifecycle(rt string) (Lifecycle, bool) {
	l, ok := lifecycles[rt]
	return l, ok
}

// Explain says in one sentence what is true of runtime rt on the day of
// now, with the dates and where they come from; "" when it is supported
// and no date is announced within 90 days.
func Explain(rt string, now time.Time) string {
	l, ok := RuntimeLifecycle(rt)
	if !ok {
		return ""
	}
	src := "dates from the AWS Lambda runtimes page, checked " + LifecycleChecked
	switch l.PhaseAt(now) {
	case PhaseUpdateBlocked:
		return fmt.Sprintf("%s is past its end of life: AWS deprecated it on %s and has blocked updating functions that use it since %s, so Lambda refuses to change their configuration (%s)", rt, day(l.Deprecate), day(l.BlockUpdate), src)
	case PhaseCreateBlocked:
		return fmt.Sprintf("%s is deprecated (since %s): AWS has blocked creating functions with it since %s and blocks updating them from %s (%s)", rt, day(l.Deprecate), day(l.BlockCreate), dayOr(l.BlockUpdate), src)
	case PhaseDeprecated:
		return fmt.Sprintf("%s is deprecated (since %s: no more patches); AWS blocks creating functions with it from %s and updating them from %s (%s)", rt, day(l.Deprecate), dayOr(l.BlockCreate), dayOr(l.BlockUpdate), src)
	}
	if !l.Deprecate.IsZero() && l.Deprecate.Sub(now) < 90*24*time.Hour {
		return fmt.Sprintf("%s will be deprecated on %s; AWS blocks creating functions with it from %s and updating them from %s (%s)", rt, day(l.Deprecate), dayOr(l.BlockCreate), dayOr(l.BlockUpdate), src)
	}
	return ""
}

func day(t time.Time) string { return t.Format(time.DateOnly) }

func dayOr(t time.Time) string {
	if t.IsZero() {
		return "a date not announced yet"
	}
	return day(t)
}

// lifecycles: deprecation, block function create, block function update.
//
// Sources (see LifecycleChecked): the AWS Lambda developer guide's runtime
// pages ("Lambda runtimes", "Building Lambda functions with Node.js /
// Python / Java / C# / Ruby / Go") for the supported and recently
// deprecated runtimes; for older ones, the "Deprecated runtimes" table as
// AWS's own linter copies it (aws-cloudformation/cfn-lint,
// LmbdRuntimeLifecycle.json). In 2026 AWS moved the block dates of several
// deprecated runtimes to 2027-02-01 (create) and 2027-03-03 (update); the
// AWS page shows this for dotnet8, and the same pair is reported for
// nodejs18.x/20.x, python3.9/3.10, dotnet6, ruby3.2 and provided.al2 (and
// the update date for nodejs16.x, python3.8 and go1.x): the later dates
// are used, so that layerctl never refuses an update AWS still accepts.
// Runtimes in the SDK with no announced dates have zero dates.
var lifecycles = func() map[string]Lifecycle {
	rows := [][4]string{
		{"nodejs", "2016-10-31", "2016-10-31", "2016-10-31"},
		{"nodejs4.3", "2020-03-05", "2020-03-05", "2020-03-05"},
		{"nodejs4.3-edge", "2020-03-05", "2019-04-30", "2019-04-30"},
		{"nodejs6.10", "2019-08-12", "2019-08-12", "2019-08-12"},
		{"nodejs8.10", "2020-03-06", "2020-03-06", "2020-03-06"},
		{"nodejs10.x", "2021-07-30", "2021-07-30", "2022-02-14"},
		{"nodejs12.x", "2023-03-31", "2023-03-31", "2023-04-30"},
		{"nodejs14.x", "2023-12-04", "2024-07-09", "2025-11-01"},
		{"nodejs16.x", "2024-06-12", "2025-10-01", "2027-03-03"},
		{"nodejs18.x", "2025-09-01", "2027-02-01", "2027-03-03"},
		{"nodejs20.x", "2026-04-30", "2027-02-01", "2027-03-03"},
		{"nodejs22.x", "2027-04-30", "2027-06-01", "2027-07-01"},
		{"nodejs24.x", "2028-04-30", "2028-06-01", "2028-07-01"},
		{"nodejs26.x", "", "", ""},
		{"python2.7", "2021-07-15", "2021-07-15", "2022-05-30"},
		{"python3.6", "2022-07-18", "2022-07-18", "2022-08-29"},
		{"python3.7", "2023-12-04", "2024-01-09", "2025-11-01"},
		{"python3.8", "2024-10-14", "2025-10-01", "2027-03-03"},
		{"python3.9", "2025-12-15", "2027-02-01", "2027-03-03"},
		{"python3.10", "2026-10-31", "2027-02-01", "2027-03-03"},
		{"python3.11", "2027-06-30", "2027-07-31", "2027-08-31"},
		{"python3.12", "2028-10-31", "2028-11-30", "2029-01-10"},
		{"python3.13", "2029-06-30", "2029-07-31", "2029-08-31"},
		{"python3.14", "2029-06-30", "2029-07-31", "2029-08-31"},
		{"python3.15", "", "", ""},
		{"java8", "2024-01-08", "2024-02-08", "2025-11-01"},
		{"java8.al2", "2027-06-30", "2027-07-31", "2027-08-31"},
		{"java8.al2023", "", "", ""},
		{"java11", "2027-06-30", "2027-07-31", "2027-08-31"},
		{"java11.al2023", "", "", ""},
		{"java17", "2027-06-30", "2027-07-31", "2027-08-31"},
		{"java17.al2023", "", "", ""},
		{"java21", "2029-06-30", "2029-07-31", "2029-08-31"},
		{"java25", "2029-06-30", "2029-07-31", "2029-08-31"},
		{"dotnetcore1.0", "2019-06-27", "2019-07-30", "2019-07-30"},
		{"dotnetcore2.0", "2019-05-30", "2019-05-30", "2019-05-30"},
		{"dotnetcore2.1", "2022-01-05", "2022-01-05", "2022-04-13"},
		{"dotnetcore3.1", "2023-04-03", "2023-04-03", "2023-05-03"},
		{"dotnet6", "2024-11-12", "2027-02-01", "2027-03-03"},
		{"dotnet8", "2026-11-10", "2027-02-01", "2027-03-03"},
		{"dotnet10", "2028-11-14", "2028-12-14", "2029-01-15"},
		{"go1.x", "2024-01-08", "2024-02-08", "2027-03-03"},
		{"ruby2.5", "2021-07-30", "2021-07-30", "2022-03-31"},
		{"ruby2.7", "2023-12-07", "2024-01-09", "2025-11-01"},
		{"ruby3.2", "2026-03-31", "2027-02-01", "2027-03-03"},
		{"ruby3.3", "2027-03-31", "2027-04-30", "2027-05-31"},
		{"ruby3.4", "2028-03-31", "2028-04-30", "2028-05-31"},
		{"ruby4.0", "2029-03-31", "2029-04-30", "2029-05-31"},
		{"provided", "2024-01-08", "2024-02-08", "2025-11-01"},
		{"provided.al2", "2026-07-31", "2027-02-01", "2027-03-03"},
		{"provided.al2023", "2029-06-30", "2029-07-31", "2029-08-31"},
	}
	out := make(map[string]Lifecycle, len(rows))
	parse := func(s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			panic(err) // a typo in the table: the tests run this
		}
		return t
	}
	for _, r := range rows {
		out[r[0]] = Lifecycle{parse(r[1]), parse(r[2]), parse(r[3])}
	}
	return out
}()
