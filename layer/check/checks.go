package check

import (
	"fmt"
	"sort"
	"strings"

	"github.com/layerctl/layerctl/internal/safetext"
	"github.com/layerctl/layerctl/internal/size"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// ELF finds native code built for a machine the layer does not
// declare. With no architectures declared (inspect), it flags only code
// Lambda cannot run at all, and layers mixing both architectures.
func ELF(machines map[string]uint16, archs []string) []layer.Finding {
	names := make([]string, 0, len(machines))
	for n := range machines {
		names = append(names, n)
	}
	sort.Strings(names)
	want := map[string]bool{}
	for _, a := range archs {
		want[a] = true
	}
	var out []layer.Finding
	found := map[string]int{}
	for _, n := range names {
		m := machines[n]
		arch := lambdafacts.ArchOfMachine(m)
		found[arch]++
		switch {
		case arch == "":
			out = append(out, layer.Finding{Severity: layer.SevError, Path: n, Message: fmt.Sprintf("%s is native code for %s, which Lambda does not run (it runs x86_64 and arm64): rebuild it or remove it", safetext.Name(n), lambdafacts.MachineName(m))})
		case len(archs) > 0 && !want[arch]:
			out = append(out, layer.Finding{Severity: layer.SevError, Path: n, Message: fmt.Sprintf("%s is native code for %s, but the layer is for %s: build it for %s (pip --platform manylinux2014_%s, GOARCH=%s, npm --cpu=%s) or remove it", safetext.Name(n), lambdafacts.MachineName(m), strings.Join(archs, " and "), archs[0], lambdafacts.Uname(archs[0]), lambdafacts.GOARCH(archs[0]), lambdafacts.NpmCPU(archs[0]))})
		}
	}
	if len(archs) == 0 && found["x86_64"] > 0 && found["arm64"] > 0 {
		out = append(out, layer.Finding{Severity: layer.SevWarning, Path: "", Message: fmt.Sprintf("the ZIP mixes native code for x86_64 (%d files) and arm64 (%d files): one of them will fail to load", found["x86_64"], found["arm64"])})
	}
	return out
}

// Sizes applies Lambda's size limits to one layer.
func Sizes(unzipped, zipped int64) []layer.Finding {
	var out []layer.Finding
	if unzipped > lambdafacts.MaxUnzipped {
		out = append(out, layer.Finding{Severity: layer.SevError, Path: "", Message: fmt.Sprintf("%s unzipped is over Lambda's limit of %s for a function and all its layers: split the layer or exclude what the functions do not need", size.Text(unzipped), size.Text(lambdafacts.MaxUnzipped))})
	}
	if zipped > lambdafacts.MaxInline {
		out = append(out, layer.Finding{Severity: layer.SevNote, Path: "", Message: fmt.Sprintf("the ZIP is %s, over the %s Lambda accepts inline: publishing it will need an S3 bucket in each region", size.Text(zipped), size.Text(lambdafacts.MaxInline))})
	}
	return out
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
