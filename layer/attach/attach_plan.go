package attach

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/layerctl/layerctl/internal/size"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/lambdafacts"
	"github.com/layerctl/layerctl/layer/versions"
)

const (
	// nearUnzippedTotal is where a total that cannot be known exactly is
	// worth a warning.
	nearUnzippedTotal = lambdafacts.MaxUnzipped * 8 / 10
)

// attachWant is one manifest layer a function should use: the version to
// attach, or the candidates for it when the layer is split per architecture.
type attachWant struct {
	family     string             // the layer's name in the manifest
	candidates []*attachCandidate // one per layer (two for a split layer)
	explicit   bool               // named or tagged: appended when the function does not use the layer yet
}

// attachCandidate is a version to attach, and what is known of its size.
type attachCandidate struct {
	version  *versions.Version
	unzipped int64 // 0 when unknown: the version's zipped CodeSize is then the lower bound
}

func (c *attachCandidate) size() (int64, bool) {
	if c.unzipped > 0 {
		return c.unzipped, true
	}
	return c.version.CodeSize, false
}

// fnConfig is what a plan reads of a function's configuration.
type fnConfig struct {
	Layers        []types.Layer
	Runtime       string
	PackageType   string
	Architectures []string
	CodeSize      int64
}

func fnConfigOf(c *types.FunctionConfiguration) fnConfig {
	f := fnConfig{Layers: c.Layers, Runtime: string(c.Runtime), PackageType: string(c.PackageType), CodeSize: c.CodeSize}
	for _, a := range c.Architectures {
		f.Architectures = append(f.Architectures, string(a))
	}
	return f
}

func (f fnConfig) arns() []string {
	out := make([]string, len(f.Layers))
	for i, l := range f.Layers {
		out[i] = aws.ToString(l.Arn)
	}
	return out
}

func (f fnConfig) arch() string {
	if len(f.Architectures) > 0 {
		return f.Architectures[0]
	}
	return "x86_64"
}

// attachPlan is what to do to one function.
type attachPlan struct {
	to       []string     // the new Layers list
	status   layer.Status // layer.StatusWouldAttach, layer.StatusUnchanged, layer.StatusRefused or layer.StatusSkipped (StatusFailed: see err)
	reason   string       // why refused or skipped
	err      error        // why it could not be planned (vet: a check that failed)
	warnings []string
}

// planAttach works out a function's new Layers: the same list with each
// wanted layer's ARN replaced by the version's in the same position, or
// appended for an explicit target that does not use the layer yet; every
// other layer untouched and the order kept. It refuses what Lambda would
// refuse or what would break the function.
func planAttach(f fnConfig, wants []*attachWant) attachPlan {
	if f.PackageType == string(types.PackageTypeImage) {
		return attachPlan{status: layer.StatusRefused, reason: "a container image function cannot use layers: put the layer's content in its image"}
	}
	cur := f.arns()
	to := slices.Clone(cur)
	var chosen []*attachCandidate
	var refusals, unused []string
	for _, w := range wants {
		var at []int
		for i, arn := range to {
			if w.uses(arn) {
				at = append(at, i)
			}
		}
		c := w.pick(f.arch())
		switch {
		case len(at) > 1:
			refusals = append(refusals, fmt.Sprintf("it uses layer %s %d times (%s); fix it by hand first", w.family, len(at), strings.Join(shortARNs(pickAt(to, at)), ", ")))
			continue
		case len(at) == 0 && !w.explicit:
			unused = append(unused, w.family)
			continue
		case c == nil:
			refusals = append(refusals, fmt.Sprintf("no half of layer %s is for its architecture %s", w.family, f.arch()))
			continue
		case len(at) == 1:
			to[at[0]] = c.version.ARN
		default:
			to = append(to, c.version.ARN)
		}
		chosen = append(chosen, c)
	}
	if len(refusals) == 0 && len(chosen) == 0 {
		return attachPlan{to: cur, status: layer.StatusSkipped, reason: "no longer uses layer " + strings.Join(unused, ", ")}
	}
	if len(refusals) == 0 && slices.Equal(to, cur) {
		return attachPlan{to: to, status: layer.StatusUnchanged}
	}

	if len(to) > lambdafacts.MaxLayersPerFunction {
		refusals = append(refusals, fmt.Sprintf("it would use %d layers; Lambda allows %d", len(to), lambdafacts.MaxLayersPerFunction))
	}
	for _, c := range chosen {
		v := c.version
		if len(v.Runtimes) > 0 && f.Runtime != "" && !slices.Contains(v.Runtimes, f.Runtime) {
			refusals = append(refusals, fmt.Sprintf("its runtime %s is not among %s's compatible runtimes (%s)%s", f.Runtime, shortARN(v.ARN), strings.Join(v.Runtimes, ", "), addRuntimeHint(f.Runtime, v.Runtimes)))
		}
		if len(v.Architectures) > 0 && !slices.Contains(v.Architectures, f.arch()) {
			refusals = append(refusals, fmt.Sprintf("its architecture %s is not among %s's (%s)", f.arch(), shortARN(v.ARN), strings.Join(v.Architectures, ", ")))
		}
	}
	total := f.unzippedAtLeast(to, chosen)
	var warnings []string
	switch {
	case total > lambdafacts.MaxUnzipped:
		refusals = append(refusals, fmt.Sprintf("function and layers would be at least %s unzipped; Lambda allows %s", size.Text(total), size.Text(lambdafacts.MaxUnzipped)))
	case total > nearUnzippedTotal:
		warnings = append(warnings, fmt.Sprintf("function and layers will be at least %s unzipped, near Lambda's %s; the exact total cannot be known (the function's code and other layers are counted at their zipped size), so Lambda may still refuse", size.Text(total), size.Text(lambdafacts.MaxUnzipped)))
	}
	if len(refusals) > 0 {
		return attachPlan{to: to, status: layer.StatusRefused, reason: strings.Join(refusals, "; ")}
	}
	return attachPlan{to: to, status: layer.StatusWouldAttach, warnings: warnings}
}

// unzippedAtLeast is a lower bound of the function's unzipped total with
// Layers to: the attached versions at their unzipped size when known, the
// function's code and other layers at their zipped size: Lambda reports no
// unzipped sizes, so the exact total cannot be known.
func (f fnConfig) unzippedAtLeast(to []string, chosen []*attachCandidate) int64 {
	total := f.CodeSize
	for _, arn := range to {
		if i := slices.IndexFunc(chosen, func(c *attachCandidate) bool { return c.version.ARN == arn }); i >= 0 {
			n, _ := chosen[i].size()
			total += n
			continue
		}
		if i := slices.IndexFunc(f.Layers, func(l types.Layer) bool { return aws.ToString(l.Arn) == arn }); i >= 0 {
			total += f.Layers[i].CodeSize
		}
	}
	return total
}

// uses reports whether layer version arn is a version of one of the
// want's layers.
func (w *attachWant) uses(arn string) bool {
	return slices.ContainsFunc(w.candidates, func(c *attachCandidate) bool {
		return strings.HasPrefix(arn, c.version.LayerARN())
	})
}

// addRuntimeHint says how to serve a function of runtime rt when the
// layer is for other versions of the same language (python3.12 for a
// python3.13 function): add it to the layer's runtimes and publish. A
// layer of another language gets no hint: its code would not load.
func addRuntimeHint(rt string, runtimes []string) string {
	family := lambdafacts.RuntimeFamily(rt)
	if family == "" || !slices.ContainsFunc(runtimes, func(r string) bool { return lambdafacts.RuntimeFamily(r) == family }) {
		return ""
	}
	return fmt.Sprintf(": if its code works on %s, add %s to the layer's runtimes in the manifest and publish (a new version with the same content)", rt, rt)
}

// pick is the candidate for a function of architecture arch: the only one,
// or the half of a split layer built for arch.
func (w *attachWant) pick(arch string) *attachCandidate {
	if len(w.candidates) == 1 {
		return w.candidates[0]
	}
	for _, c := range w.candidates {
		if slices.Contains(c.version.Architectures, arch) {
			return c
		}
	}
	return nil
}

// planRevert puts a function's Layers back as they were before attach
// changed them from `from` to `to`, keeping any change made since by someone
// else: each of our layers that is still on the version attach set goes back
// to the version it had (or is removed if attach appended it). ok is false
// when nothing needs doing.
func planRevert(cur, from, to []string, wants []*attachWant) (out []string, ok bool) {
	out = slices.Clone(cur)
	for _, w := range wants {
		set := firstMatch(to, w.uses)
		if set == "" {
			continue
		}
		i := slices.Index(out, set)
		if i < 0 {
			continue // moved on since: not ours to undo
		}
		if prev := firstMatch(from, w.uses); prev != "" {
			out[i] = prev
		} else {
			out = slices.Delete(out, i, i+1)
		}
	}
	return out, !slices.Equal(out, cur)
}

func firstMatch(arns []string, match func(string) bool) string {
	if i := slices.IndexFunc(arns, match); i >= 0 {
		return arns[i]
	}
	return ""
}

func pickAt(s []string, at []int) []string {
	out := make([]string, len(at))
	for i, j := range at {
		out[i] = s[j]
	}
	return out
}

// shortARN is a layer version ARN's NAME:VERSION.
func shortARN(arn string) string {
	if i := strings.Index(arn, ":layer:"); i >= 0 {
		return arn[i+len(":layer:"):]
	}
	return arn
}

func shortARNs(arns []string) []string {
	out := make([]string, len(arns))
	for i, a := range arns {
		out[i] = shortARN(a)
	}
	return out
}
