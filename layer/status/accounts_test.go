package status

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/manifest"
)

// Each account is read through its own clients: its versions, which of
// them its lock entry names, its functions; an account whose role cannot
// be assumed is a Failure naming it, and the others are read.
func TestStatusAcrossAccounts(t *testing.T) {
	url := testenv.MotoURL(t)
	name := testenv.UniqueName("org-status")
	a := manifest.Account{ID: "240000000001", Role: "arn:aws:iam::240000000001:role/layerctl"}
	b := manifest.Account{ID: "240000000002", Role: "arn:aws:iam::240000000002:role/layerctl"}
	c := manifest.Account{ID: "240000000003", Role: "arn:aws:iam::240000000003:role/layerctl"}
	lock := manifest.NewLock()
	ll := &manifest.LockLayer{SHA256: strings.Repeat("ab", 32), Regions: map[string]*manifest.LockRegion{}}
	lock.Layers[name] = ll
	fn := map[string]string{}
	for i, acct := range []manifest.Account{a, b} {
		ml := testenv.NewMotoLambdaIn(t, url, acct.ID, "us-east-1")
		var last string
		for v := range i + 2 { // a has 2 versions, b 3
			last = ml.PublishLayer(name, fmt.Sprintf("V = %d\n", v))
		}
		ll.Set(acct.ID, "us-east-1", manifest.LockRegion{ARN: last, Version: int64(i + 2)})
		fn[acct.ID] = testenv.UniqueName("fn")
		ml.CreateFunction(fn[acct.ID], strings.TrimSuffix(last, fmt.Sprint(i+2))+"1")
	}
	dir := t.TempDir()
	l := testenv.PyLayer(name)
	l.Regions, l.Accounts = []string{"us-east-1"}, []manifest.Account{a, b, c}
	m := &manifest.Manifest{Path: filepath.Join(dir, "layerctl.yaml"), Dir: dir, Version: 1, Layers: []*manifest.Layer{l}}
	if err := lock.Save(m.LockPath()); err != nil {
		t.Fatal(err)
	}
	r, err := Run(context.Background(), RunOptions{Manifest: m, Layers: m.Layers, Clients: func(context.Context) (*Clients, error) {
		return &Clients{Region: "us-east-1", ID: "123456789012", Lambda: func(string) API { t.Error("the credentials' own account was read"); return nil },
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
	var got []string
	for _, l := range r.Layers {
		var lines []string
		for _, v := range l.Versions {
			lines = append(lines, fmt.Sprintf("v%d lock=%v used=%d", v.Number, v.InLock, v.UsedBy))
		}
		for _, f := range l.Functions {
			lines = append(lines, fmt.Sprintf("%s on %d behind %d", f.Function, f.Version, f.Behind))
		}
		got = append(got, fmt.Sprintf("%s %s latest %d: %s", l.Account, l.Region, l.Latest, strings.Join(lines, "; ")))
	}
	want := []string{
		fmt.Sprintf("240000000001 us-east-1 latest 2: v2 lock=true used=0; v1 lock=false used=1; %s on 1 behind 1", fn[a.ID]),
		fmt.Sprintf("240000000002 us-east-1 latest 3: v3 lock=true used=0; v2 lock=false used=0; v1 lock=false used=1; %s on 1 behind 2", fn[b.ID]),
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("status (-want +got):\n%s", d)
	}
	if len(r.Failed) != 1 || r.Failed[0].Account != c.ID || !strings.Contains(r.Failed[0].Err.Error(), "account 240000000003: assuming role arn:aws:iam::240000000003:role/layerctl: AccessDenied") {
		t.Errorf("failed: %+v", r.Failed)
	}
	if len(r.Storage) != 2 || r.Storage[0].Account != a.ID || r.Storage[1].Account != b.ID {
		t.Errorf("storage %+v", r.Storage)
	}
	if r.Behind() != 2 || r.Caller != "123456789012" {
		t.Errorf("behind %d, caller %q", r.Behind(), r.Caller)
	}
}
