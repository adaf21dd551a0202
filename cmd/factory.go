package cmd

import (
	"io"
	"os"
	"time"

	"golang.org/x/term"
)

// Factory carries what every command needs from the outside world, so
// that tests can give each run its own.
type Factory struct {
	Out    io.Writer // data: results, plans, JSON
	Err    io.Writer // talk: progress, notes, warnings, errors
	Getenv func(string) string
	Now    func() time.Time
	// ErrIsTerminal says whether Err is a terminal: progress bars only then.
	ErrIsTerminal bool

	Globals Globals
}

// Globals are the flags every command accepts.
type Globals struct {
	Manifest    string
	Output      string
	Region      string
	Profile     string
	EndpointURL string
}

// JSON reports whether machine output was asked for.
func (g *Globals) JSON() bool { return g.Output == "json" }

// System is the Factory of a real run: the process's streams and environment.
func System() *Factory {
	return &Factory{Out: os.Stdout, Err: os.Stderr, Getenv: os.Getenv, Now: time.Now, ErrIsTerminal: term.IsTerminal(int(os.Stderr.Fd()))}
}
