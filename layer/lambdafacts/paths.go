package lambdafacts

import "time"

// GenericDirs are the top folders of a layer every runtime reads: bin/ is
// on PATH, lib/ on LD_LIBRARY_PATH, and Lambda starts every file in
// extensions/.
var GenericDirs = []string{"bin", "lib", "extensions"}

// PathFamilies are the runtime families with layer paths of their own, in
// the order messages name them.
var PathFamilies = []string{Python, NodeJS, Java, Ruby}

// home is where a family's content belongs in a layer; "" is the runtimes
// with no paths of their own (provided.*, dotnet...).
var home = map[string]string{
	Python: "python/",
	NodeJS: "nodejs/node_modules/",
	Java:   "java/lib/",
	Ruby:   "ruby/lib/",
	"":     "bin/",
}

// Home is the folder of a layer where the runtimes of family (a PathFamily,
// or "" for runtimes with no paths of their own) find content: python/,
// nodejs/node_modules/, java/lib/, ruby/lib/, else bin/.
func Home(family string) string { return home[family] }

// Content Lambda runs from the top of a layer (/opt) rather than from a
// folder on a search path.
const (
	// Bootstrap is the file an OS-only runtime runs as the function's
	// runtime when the function has none of its own.
	Bootstrap = "bootstrap"
	// ExecWrapperVar names the script a managed runtime starts through:
	// AWS_LAMBDA_EXEC_WRAPPER=/opt/otel-instrument.
	ExecWrapperVar = "AWS_LAMBDA_EXEC_WRAPPER"
)

// RunsBootstrap reports whether rt is an OS-only runtime (provided.*),
// which runs /opt/bootstrap when the function brings no bootstrap.
func RunsBootstrap(rt string) bool { return RuntimeFamily(rt) == "provided" }

// TakesExecWrapper reports whether rt is a managed runtime (Node.js,
// Python, Java, .NET, Ruby), which starts through the script its
// AWS_LAMBDA_EXEC_WRAPPER names; OS-only runtimes do not.
func TakesExecWrapper(rt string) bool {
	switch RuntimeFamily(rt) {
	case Python, NodeJS, Java, Ruby, "dotnet":
		return true
	}
	return false
}

// FamilyName is how people name a PathFamily: Python, Node.js, Java, Ruby.
func FamilyName(family string) string {
	return map[string]string{Python: "Python", NodeJS: "Node.js", Java: "Java", Ruby: "Ruby"}[family]
}

// SupportedRuntimes lists the SDK's runtimes whose layer paths are those of
// family (a PathFamily) and that AWS had not deprecated on the day the
// lifecycle table was checked (LifecycleChecked): the runtimes to name when
// content of that family is in a layer for others. A fixed day, not
// today's, so that a message never changes from one run to the next.
func SupportedRuntimes(family string) []string {
	checked, _ := time.Parse(time.DateOnly, LifecycleChecked)
	var out []string
	for _, rt := range Runtimes() {
		if f, _ := PathFamily(rt); f == family && family != "" && !DeprecatedAt(rt, checked) {
			out = append(out, rt)
		}
	}
	return out
}
