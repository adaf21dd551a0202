// Package cmd wires layerctl's commands: flags in, one call into the layer
// package, output out. Nothing here talks to AWS or walks files.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/layerctl/layerctl/internal/crash"
	"github.com/layerctl/layerctl/internal/safetext"
)

// Execute runs layerctl with args and returns the process exit code. A
// panic, here or caught in a goroutine of a step (internal/crash), ends in
// one line and exit code 1, not a stack dump and 2.
func Execute(ctx context.Context, args []string, f *Factory) (code int) {
	defer func() {
		if v := recover(); v != nil {
			code = internalError(f, crash.New(v))
		}
	}()
	if f.Getenv("GOMEMLIMIT") == "" {
		// The Go heap otherwise grows to twice what is live before it is
		// collected; a soft limit keeps a build of a layer with tens of
		// thousands of files under 100 MB at no cost in time (README: Speed).
		debug.SetMemoryLimit(memoryLimit)
	}
	// Whatever an interrupt stops says "interrupted", in every message and
	// report, not "context canceled".
	ctx, stop := interruptibleContext(ctx)
	defer stop()
	root := NewRootCmd(f)
	root.SetArgs(args)
	ran := false
	root.PersistentPreRunE = func(c *cobra.Command, _ []string) error {
		ran = true
		switch f.Globals.Output {
		case "text", "json":
		default:
			return usagef("--output must be text or json, not %q", f.Globals.Output)
		}
		return nil
	}
	c, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	var ce *crash.Error
	if errors.As(err, &ce) {
		return internalError(f, ce)
	}
	var ue *usageError
	if !ran && !errors.As(err, &ue) {
		// cobra refused the command line before any command ran.
		err = &usageError{err}
	}
	// An error may quote a name from a file or an archive: its control
	// characters are escaped, never sent to the terminal.
	fmt.Fprintf(f.Err, "layerctl: %v\n", indentLines(safetext.Text(err.Error())))
	if errors.As(err, &ue) {
		fmt.Fprintf(f.Err, "Run '%s --help' for usage.\n", c.CommandPath())
	}
	return exitCode(err)
}

// internalError tells of a bug: one line, and the stack where it happened
// only when LAYERCTL_DEBUG is set (to anything but 0).
func internalError(f *Factory, e *crash.Error) int {
	fmt.Fprintf(f.Err, "layerctl: %s (please report it; run with LAYERCTL_DEBUG=1 for the stack)\n", e.Error())
	if d := f.Getenv("LAYERCTL_DEBUG"); d != "" && d != "0" {
		f.Err.Write(e.Stack)
	}
	return ExitFailed
}

// memoryLimit is the soft limit on the Go heap (GOMEMLIMIT overrides it).
const memoryLimit = 80 << 20

// NewRootCmd builds the command tree.
func NewRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "layerctl",
		Short: "Build, publish and attach AWS Lambda layers",
		Long: `layerctl owns the life of AWS Lambda layers: it builds reproducible layer
ZIPs, publishes a new version only when the content is new, and moves
functions onto it.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(f.Out)
	root.SetErr(f.Err)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &usageError{err} })

	g := &f.Globals
	pf := root.PersistentFlags()
	pf.StringVarP(&g.Manifest, "manifest", "f", "layerctl.yaml", "path to the manifest")
	pf.StringVarP(&g.Output, "output", "o", "text", "output format: text or json")
	pf.StringVar(&g.Region, "region", "", "AWS region, or several separated by commas (us-east-1,eu-west-1); replaces the manifest's regions")
	pf.StringVar(&g.Profile, "profile", "", "AWS shared config profile")
	pf.StringVar(&g.EndpointURL, "endpoint-url", "", "AWS endpoint URL, for emulators")
	_ = root.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp
	})

	root.AddCommand(newBuildCmd(f), newInspectCmd(f), newPublishCmd(f), newVersionCmd(f))
	root.AddCommand(newVerifyCmd(f))
	root.AddCommand(newAttachCmd(f))
	root.AddCommand(newStatusCmd(f), newPruneCmd(f), newDeployCmd(f), newInitCmd(f))
	root.AddCommand(newLockCmd(f))
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "build", "inspect", "verify", "init", "version", "completion":
			hideFlags(c, awsFlags...)
		}
	}
	return root
}

// awsFlags are the global flags only the commands that call AWS read.
var awsFlags = []string{"region", "profile", "endpoint-url"}

// hideFlags leaves the inherited flags named out of c's help and usage (and
// its subcommands'): c accepts them, as every command accepts the global
// flags, but they do nothing there. The flags are shared with the
// commands that use them, so they are hidden only while c's help is
// written.
func hideFlags(c *cobra.Command, names ...string) {
	help, usage := c.HelpFunc(), c.UsageFunc()
	hidden := func(c *cobra.Command, write func()) {
		var hid []string
		for _, n := range names {
			if fl := c.InheritedFlags().Lookup(n); fl != nil && !fl.Hidden {
				fl.Hidden = true
				hid = append(hid, n)
			}
		}
		defer func() {
			for _, n := range hid {
				c.InheritedFlags().Lookup(n).Hidden = false
			}
		}()
		write()
	}
	c.SetHelpFunc(func(c *cobra.Command, args []string) { hidden(c, func() { help(c, args) }) })
	c.SetUsageFunc(func(c *cobra.Command) (err error) {
		hidden(c, func() { err = usage(c) })
		return err
	})
}

// indentLines keeps multi-line errors readable under the "layerctl: " prefix.
func indentLines(s string) string {
	return strings.ReplaceAll(s, "\n", "\n  ")
}
