package check

import (
	"fmt"
	"sort"
	"strings"

	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// ServesAll warns when a ZIP that serves several architectures holds
// native code for only some of them.
func ServesAll(machines map[string]uint16, archs []string) []layer.Finding {
	if len(archs) < 2 {
		return nil
	}
	count := map[string]int{}
	example := map[string]string{}
	names := make([]string, 0, len(machines))
	for n := range machines {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := lambdafacts.ArchOfMachine(machines[n])
		if count[a] == 0 {
			example[a] = n
		}
		count[a]++
	}
	var out []layer.Finding
	for _, have := range archs {
		if count[have] == 0 {
			continue
		}
		for _, lack := range archs {
			if count[lack] == 0 {
				out = append(out, layer.Finding{Severity: layer.SevWarning, Path: example[have], Message: fmt.Sprintf("the ZIP serves %s but its native code is for %s only (%d %s, e.g. %s): %s functions cannot run it; give each architecture its own layer (split_architectures) and files entries with architecture: %s",
					strings.Join(archs, " and "), have, count[have], plural(count[have], "file"), example[have], lack, lack)})
			}
		}
	}
	return out
}
