package cmd

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/layerctl/layerctl/internal/output"
)

// version is set at release time: -ldflags "-X github.com/layerctl/layerctl/cmd.version=v1.2.3".
var version = ""

func newVersionCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print layerctl's version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			v, commit := buildVersion()
			if f.Globals.JSON() {
				return output.JSON(f.Out, map[string]string{"version": v, "commit": commit, "go": runtime.Version()})
			}
			fmt.Fprintf(f.Out, "layerctl %s (commit %s, %s)\n", v, commit, runtime.Version())
			return nil
		},
	}
}

// buildVersion reads the version from the linker flag, else from what the
// go command recorded (go install module@version, or the VCS revision).
func buildVersion() (v, commit string) {
	v, commit = version, "unknown"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return orDev(v), commit
	}
	if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision":
			commit = s.Value[:min(12, len(s.Value))]
		case s.Key == "vcs.modified" && s.Value == "true":
			defer func() { commit += "-dirty" }()
		}
	}
	return orDev(v), commit
}

func orDev(v string) string {
	if v == "" {
		return "dev"
	}
	return v
}
