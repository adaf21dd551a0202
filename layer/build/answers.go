package build

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/layerctl/layerctl/internal/atomicfile"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/archive"
	"github.com/layerctl/layerctl/layer/builder"
)

// Tools' answers to the builders' questions (builder.Question: python3's
// version and pip's settings, npm's configuration, go env, go list) are
// remembered in the build cache, with what can be seen of the tool without
// running it, so that a rebuild with nothing changed starts no process:
//
//	answers/<question>.json   the answer, what was seen before asking
//	                          (a digest), the files the answer named
//
// A question is asked again when anything seen changed: the executable
// (path, size, times, inode), PATH, the variables and files the question
// names, the files its answer named. Like the hash memo, an answer is not
// remembered when a file it depends on changed too shortly before it was
// asked to be told apart from a later change.

// answerFormat changes when what an answer record holds, or means, does.
const answerFormat = "layerctl tool answer 1"

// maxAnswer bounds an answer file: go list's answer for a large program
// is a few MB.
const maxAnswer = 32 << 20

// answerRecord is one remembered answer.
type answerRecord struct {
	Seen   string      // digest of what was seen before asking (see seen)
	Answer []byte      // the tool's output
	Files  []seenStamp // the files the answer named, as they were
}

// seenStamp is one file as seen: its stat, or its absence.
type seenStamp struct {
	Path    string
	Stat    archive.FileStat
	Missing bool
}

func stampPath(p string) seenStamp {
	info, err := os.Stat(p)
	if err != nil {
		return seenStamp{Path: p, Missing: true}
	}
	st := archive.StampOf(info).Stat
	return seenStamp{Path: p, Stat: st}
}

// settled reports whether the file last changed long enough before asked
// to be told apart from a change after it.
func (s seenStamp) settled(asked time.Time) bool {
	cutoff := asked.Add(-racyWindow).UnixNano()
	return s.Missing || s.Stat.Mtime < cutoff && s.Stat.Ctime < cutoff
}

// answers asks the tools the builders' questions through the cache.
type answers struct {
	cache  *buildCache
	ignore bool   // --no-cache: ask every question, remember the answers
	exe    string // layerctl's executable digest: another layerctl asks again
	tools  *builder.Tools
}

func (a *answers) note(format string, args ...any) {
	a.cache.notes = append(a.cache.notes, layer.Finding{Severity: layer.SevNote, Message: fmt.Sprintf(format, args...)})
}

// ask answers q from the cache when nothing it depends on changed, else
// asks the tool and remembers its answer.
func (a *answers) ask(ctx context.Context, q builder.Question) ([]byte, error) {
	asked := time.Now()
	id, seen, settled := a.see(q, asked)
	p := filepath.Join(a.cache.dir, "answers", id+".json")
	if !a.ignore && a.exe != "" {
		if rec := a.read(p); rec != nil && rec.Seen == seen && unchanged(rec.Files) {
			return rec.Answer, nil
		}
	}
	out, err := a.tools.Ask(ctx, q.Command)
	if err != nil {
		return nil, err
	}
	if !settled || a.exe == "" {
		return out, nil
	}
	rec := &answerRecord{Seen: seen, Answer: out}
	if q.Depends != nil {
		files, err := q.Depends(out)
		if err != nil {
			return out, nil // the builder reads the answer and says what is wrong
		}
		for _, f := range files {
			if f == "" {
				continue
			}
			s := stampPath(f)
			if !s.settled(asked) {
				return out, nil
			}
			rec.Files = append(rec.Files, s)
		}
	}
	if err := a.write(p, rec); err != nil {
		a.note("the build cache (%s) could not remember %s's answer: %v", a.cache.dir, q.Command.Tool, err)
	}
	return out, nil
}

// see names the question (id: the command and layerctl) and digests what
// can be seen of its answer without asking: the executable, PATH, the
// variables and files the question names. settled is false when one of
// those files changed too recently to be told apart from a later change.
func (a *answers) see(q builder.Question, asked time.Time) (id, seen string, settled bool) {
	c := q.Command
	var k keyWriter
	k.add("format", answerFormat)
	k.add("layerctl", a.exe)
	k.add("folder", c.Dir)
	k.add("args", c.Args...)
	k.add("env", c.Env...)
	id = hexSum(sha256.Sum256(k.b.Bytes()))

	var s keyWriter
	settled = true
	stamp := func(label, p string) {
		st := stampPath(p)
		settled = settled && st.settled(asked)
		s.add(label, p, fmt.Sprint(st.Missing, st.Stat))
	}
	s.add("PATH", a.tools.Getenv("PATH"))
	if prog, err := a.tools.LookPath(c.Args[0]); err == nil {
		real, _ := filepath.EvalSymlinks(prog)
		s.add("executable", prog, real)
		stamp("executable stat", prog)
	} else {
		s.add("executable", "not found")
	}
	var names, prefixes []string
	for _, v := range q.Env {
		if p, ok := strings.CutSuffix(v, "*"); ok {
			prefixes = append(prefixes, p)
		} else {
			names = append(names, v)
		}
	}
	for _, n := range names {
		v, ok := a.lookupEnv(n)
		s.add("variable", n, v, fmt.Sprint(ok))
	}
	s.add("variables", a.tools.EnvWithPrefix(prefixes...)...)
	for _, f := range q.Files {
		if f != "" {
			stamp("file", f)
		}
	}
	return id, hexSum(sha256.Sum256(s.b.Bytes())), settled
}

func (a *answers) lookupEnv(name string) (string, bool) {
	env := a.tools.Environ()
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

// unchanged reports whether every file is as it was seen.
func unchanged(files []seenStamp) bool {
	for _, f := range files {
		if stampPath(f.Path) != f {
			return false
		}
	}
	return true
}

// read returns the record at p, or nil; a record that cannot be used is
// asked again, with a note when it is damage rather than absence.
func (a *answers) read(p string) *answerRecord {
	data, err := readBounded(p, maxAnswer)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var rec answerRecord
	if err == nil {
		if err = json.Unmarshal(data, &rec); err == nil && rec.Seen == "" {
			err = errors.New("it records no answer")
		}
	}
	if err != nil {
		a.note("the build cache's answer %s was unreadable and the tool was asked again (%v)", p, err)
		return nil
	}
	return &rec
}

func (a *answers) write(p string, rec *answerRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if len(data) > maxAnswer {
		return nil // asked again next time rather than refused when read
	}
	if err := a.cache.ensure(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(p, data)
}
