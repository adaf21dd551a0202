package check

import (
	"path"
	"regexp"
	"strings"

	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// kind is what a file is, as far as where it must sit in a layer goes;
// told from its name and execute bit alone, since the layout check sees
// nothing else.
type kind int

const (
	kindData    kind = iota // read, if at all, by its path: may sit anywhere
	kindPython              // .py, and CPython extension modules
	kindNode                // .js, .mjs, .cjs, .node, package.json
	kindJava                // .jar
	kindClass               // .class: Java loads classes only from JARs in java/lib/
	kindRuby                // .rb
	kindLibrary             // a shared library: .so, .so.1.2
	kindCommand             // any other executable
)

var (
	sharedLib = regexp.MustCompile(`\.so(\.[0-9]+)*$`)
	// CPython extension modules: _speedups.cpython-312-x86_64-linux-gnu.so,
	// _cffi.abi3.so.
	pyExtension = regexp.MustCompile(`\.(cpython-[^.]+|abi3)\.so$`)
)

// kindOf tells what the file called name (its last part) is.
func kindOf(name string, exec bool) kind {
	base := path.Base(name)
	switch ext := strings.ToLower(path.Ext(base)); {
	case ext == ".py":
		return kindPython
	case pyExtension.MatchString(base):
		return kindPython
	case ext == ".js" || ext == ".mjs" || ext == ".cjs" || ext == ".node" || base == "package.json":
		return kindNode
	case ext == ".jar":
		return kindJava
	case ext == ".class":
		return kindClass
	case ext == ".rb":
		return kindRuby
	case sharedLib.MatchString(base):
		return kindLibrary
	case exec:
		return kindCommand
	}
	return kindData
}

// family is the runtime family that loads files of kind k from its own
// layer paths, or "" for what every runtime finds (bin/, lib/) and data.
func (k kind) family() string {
	switch k {
	case kindPython:
		return lambdafacts.Python
	case kindNode:
		return lambdafacts.NodeJS
	case kindJava, kindClass:
		return lambdafacts.Java
	case kindRuby:
		return lambdafacts.Ruby
	}
	return ""
}

// what names files of kind k in messages.
func (k kind) what() string {
	return [...]string{
		kindData:    "data",
		kindPython:  "Python code",
		kindNode:    "Node.js code",
		kindJava:    "Java archives (JARs)",
		kindClass:   "Java classes",
		kindRuby:    "Ruby code",
		kindLibrary: "shared libraries",
		kindCommand: "executables",
	}[k]
}
