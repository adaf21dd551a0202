package lambdafacts

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
