package lambdafacts

import (
	"strings"
	"testing"
	"time"
)

// Every runtime the SDK knows must have a row: a new SDK with a new runtime
// fails here until someone reads AWS's page and adds its dates (or an empty
// row, when AWS has announced none).
func TestEveryRuntimeHasALifecycle(t *testing.T) {
	var missing []string
	for _, rt := range Runtimes() {
		if _, ok := RuntimeLifecycle(rt); !ok {
			missing = append(missing, rt)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("runtimes in the AWS SDK's enum with no lifecycle row: %s\n"+
			"add them to lifecycles in lifecycle.go with the dates from https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html and update LifecycleChecked",
			strings.Join(missing, ", "))
	}
	for rt := range lifecycles {
		if !ValidRuntime(rt) {
			t.Errorf("lifecycle row %q is not a runtime of the SDK's enum", rt)
		}
	}
}

func TestLifecycleDatesAreInOrder(t *testing.T) {
	for rt, l := range lifecycles {
		if l.Deprecate.IsZero() != l.BlockUpdate.IsZero() && !l.BlockCreate.IsZero() {
			t.Errorf("%s: a block date with no deprecation date", rt)
		}
		if !l.BlockUpdate.IsZero() && l.BlockUpdate.Before(l.BlockCreate) {
			t.Errorf("%s: updates blocked (%s) before creation (%s)", rt, day(l.BlockUpdate), day(l.BlockCreate))
		}
	}
}

func TestPhaseAt(t *testing.T) {
	d := func(s string) time.Time {
		t, _ := time.Parse(time.DateOnly, s)
		return t
	}
	l := Lifecycle{d("2026-04-30"), d("2027-02-01"), d("2027-03-03")}
	for _, c := range []struct {
		at   string
		want Phase
	}{
		{"2026-04-29", PhaseSupported},
		{"2026-04-30", PhaseDeprecated}, // from the day itself
		{"2027-01-31", PhaseDeprecated},
		{"2027-02-01", PhaseCreateBlocked},
		{"2027-03-02", PhaseCreateBlocked},
		{"2027-03-03", PhaseUpdateBlocked},
		{"2030-01-01", PhaseUpdateBlocked},
	} {
		if got := l.PhaseAt(d(c.at).Add(13 * time.Hour)); got != c.want {
			t.Errorf("PhaseAt(%s) = %v, want %v", c.at, got, c.want)
		}
	}
	if got := (Lifecycle{}).PhaseAt(d("2030-01-01")); got != PhaseSupported {
		t.Errorf("no dates announced: %v, want Supported", got)
	}
}

func TestExplainSaysWhatIsTrueThatDay(t *testing.T) {
	now, _ := time.Parse(time.DateOnly, "2026-11-30")
	for _, c := range []struct {
		rt, want string
	}{
		{"python3.13", ""},
		{"python3.9", "python3.9 is deprecated (since 2025-12-15: no more patches); AWS blocks creating functions with it from 2027-02-01 and updating them from 2027-03-03"},
		{"nodejs14.x", "nodejs14.x is past its end of life: AWS deprecated it on 2023-12-04 and has blocked updating functions that use it since 2025-11-01"},
		{"python3.11", ""}, // deprecated 2027-06-30: more than 90 days away
		{"nodejs22.x", ""},
	} {
		got := Explain(c.rt, now)
		if (c.want == "") != (got == "") || !strings.HasPrefix(got, c.want) {
			t.Errorf("Explain(%s) = %q\nwant %q...", c.rt, got, c.want)
		}
		if got != "" && !strings.Contains(got, "checked "+LifecycleChecked) {
			t.Errorf("Explain(%s) does not say when the dates were checked: %q", c.rt, got)
		}
	}
	soon, _ := time.Parse(time.DateOnly, "2027-04-15")
	if got := Explain("python3.11", soon); !strings.HasPrefix(got, "python3.11 will be deprecated on 2027-06-30") {
		t.Errorf("Explain(python3.11) 2.5 months ahead = %q", got)
	}
}
