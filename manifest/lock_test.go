package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLockRoundTripIsStable(t *testing.T) {
	path := filepath.Join(t.TempDir(), LockFile)
	l, err := LoadLock(path)
	if err != nil || len(l.Layers) != 0 || l.Version != 1 {
		t.Fatalf("missing lock: %+v, %v", l, err)
	}
	l.Layers["zeta"] = &LockLayer{SHA256: "ab", CodeSHA256: "qw==", Size: 10, UnzippedSize: 20, Regions: map[string]*LockRegion{
		"us-east-1": {Version: 3, ARN: "arn:aws:lambda:us-east-1:123456789012:layer:zeta:3"},
		"eu-west-1": {Version: 1, ARN: "arn:aws:lambda:eu-west-1:123456789012:layer:zeta:1"},
	}}
	l.Layers["alpha"] = &LockLayer{SHA256: "cd", Regions: map[string]*LockRegion{}}
	if err := l.Save(path); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	want := `{
  "layers": {
    "alpha": {
      "code_sha256": "",
      "regions": {},
      "sha256": "cd",
      "size": 0,
      "unzipped_size": 0
    },
    "zeta": {
      "code_sha256": "qw==",
      "regions": {
        "eu-west-1": {
          "arn": "arn:aws:lambda:eu-west-1:123456789012:layer:zeta:1",
          "version": 1
        },
        "us-east-1": {
          "arn": "arn:aws:lambda:us-east-1:123456789012:layer:zeta:3",
          "version": 3
        }
      },
      "sha256": "ab",
      "size": 10,
      "unzipped_size": 20
    }
  },
  "version": 1
}
`
	if string(first) != want {
		t.Errorf("lock file:\n%s\nwant:\n%s", first, want)
	}

	// Saving what was loaded leaves the file untouched, not even its mtime.
	past := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	os.Chtimes(path, past, past)
	again, err := LoadLock(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Save(path); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if !st.ModTime().Equal(past) {
		t.Error("an unchanged lock was rewritten")
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
}

func TestLockRejectsBadFiles(t *testing.T) {
	for name, content := range map[string]string{
		"not JSON":          "{layers: nope",
		"wrong version":     `{"version": 3, "layers": {}}`,
		"unknown key":       `{"version": 1, "layers": {}, "extra": 1}`,
		"null layer":        `{"version": 1, "layers": {"a": null}}`,
		"epoch before 1970": `{"version": 1, "layers": {"a": {"code_sha256": "", "regions": {}, "sha256": "", "size": 0, "source_date_epoch": -1, "unzipped_size": 0}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), LockFile)
			os.WriteFile(path, []byte(content), 0o644)
			_, err := LoadLock(path)
			var le *LockError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), "fix it or delete it") {
				t.Fatalf("error %v", err)
			}
		})
	}
}

// HoldLock makes an empty lock file to lock it when there is none: one
// left behind (a run killed outright) reads as an empty lock.
func TestEmptyLockFileIsAnEmptyLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), LockFile)
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := LoadLock(path)
	if err != nil || l.Version != 1 || l.Layers == nil || len(l.Layers) != 0 {
		t.Fatalf("empty lock file: %+v, %v", l, err)
	}
}

// Entries of the accounts the manifest names make the lock version 2;
// without them it is written as version 1, as every layerctl reads it.
func TestLockAccountsAreVersion2(t *testing.T) {
	path := filepath.Join(t.TempDir(), LockFile)
	l := NewLock()
	ll := &LockLayer{SHA256: "ab", CodeSHA256: "qw==", Regions: map[string]*LockRegion{}}
	l.Layers["shared"] = ll
	ll.Set("", "us-east-1", LockRegion{ARN: "arn:aws:lambda:us-east-1:123456789012:layer:shared:3", Version: 3})
	ll.Set("111122223333", "eu-west-1", LockRegion{ARN: "arn:aws:lambda:eu-west-1:111122223333:layer:shared:1", Version: 1})
	if err := l.Save(path); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := `{
  "layers": {
    "shared": {
      "accounts": {
        "111122223333": {
          "regions": {
            "eu-west-1": {
              "arn": "arn:aws:lambda:eu-west-1:111122223333:layer:shared:1",
              "version": 1
            }
          }
        }
      },
      "code_sha256": "qw==",
      "regions": {
        "us-east-1": {
          "arn": "arn:aws:lambda:us-east-1:123456789012:layer:shared:3",
          "version": 3
        }
      },
      "sha256": "ab",
      "size": 0,
      "unzipped_size": 0
    }
  },
  "version": 2
}
`
	if string(got) != want {
		t.Errorf("lock file:\n%s\nwant:\n%s", got, want)
	}
	back, err := LoadLock(path)
	if err != nil {
		t.Fatal(err)
	}
	in := back.Layers["shared"].In("111122223333")
	if in.Regions["eu-west-1"].Version != 1 || in.SHA256 != "ab" || len(in.Regions) != 1 || in.Accounts != nil {
		t.Errorf("In(111122223333) = %+v", in)
	}
	if own := back.Layers["shared"].In(""); own.Regions["us-east-1"].Version != 3 {
		t.Errorf("In(\"\") = %+v", own)
	}
	if other := back.Layers["shared"].In("444455556666"); other.Regions == nil || len(other.Regions) != 0 {
		t.Errorf("In(444455556666) = %+v, want no regions", other)
	}

	// An account whose entries are all gone leaves no trace: version 1 again.
	delete(back.Layers["shared"].Accounts["111122223333"].Regions, "eu-west-1")
	b, _ := back.Marshal()
	if strings.Contains(string(b), "accounts") || !strings.HasSuffix(string(b), "\"version\": 1\n}\n") {
		t.Errorf("without account entries:\n%s", b)
	}
}

func TestLockRejectsBadAccounts(t *testing.T) {
	for name, content := range map[string]string{
		"accounts in version 1": `{"version": 1, "layers": {"a": {"accounts": {"111122223333": {"regions": {}}}, "regions": {}}}}`,
		"not an account":        `{"version": 2, "layers": {"a": {"accounts": {"x": {"regions": {}}}, "regions": {}}}}`,
		"null account":          `{"version": 2, "layers": {"a": {"accounts": {"111122223333": null}, "regions": {}}}}`,
		"null region":           `{"version": 2, "layers": {"a": {"accounts": {"111122223333": {"regions": {"us-east-1": null}}}, "regions": {}}}}`,
		"unknown account key":   `{"version": 2, "layers": {"a": {"accounts": {"111122223333": {"regions": {}, "x": 1}}, "regions": {}}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseLock([]byte(content)); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	// A version 2 lock written by hand without accounts reads as it is.
	if _, err := ParseLock([]byte(`{"version": 2, "layers": {}}`)); err != nil {
		t.Error(err)
	}
}

// source_date_epoch is optional: a lock without it reads (nil), one with
// it keeps it, in its sorted place.
func TestLockSourceDateEpoch(t *testing.T) {
	path := filepath.Join(t.TempDir(), LockFile)
	os.WriteFile(path, []byte(`{"version": 1, "layers": {"a": {"code_sha256": "c", "regions": {}, "sha256": "s", "size": 1, "unzipped_size": 2}}}`), 0o644)
	l, err := LoadLock(path)
	if err != nil || l.Layers["a"].SourceDateEpoch != nil {
		t.Fatalf("old lock: %v, %+v", err, l)
	}
	epoch := int64(1700000000)
	l.Layers["a"].SourceDateEpoch = &epoch
	data, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"size": 1,
      "source_date_epoch": 1700000000,
      "unzipped_size": 2`) {
		t.Errorf("lock:\n%s", data)
	}
	os.WriteFile(path, data, 0o644)
	if l2, err := LoadLock(path); err != nil || *l2.Layers["a"].SourceDateEpoch != epoch {
		t.Errorf("read back: %v", err)
	}
}
