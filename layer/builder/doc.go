// Package builder is what every ecosystem's builder (python, node,
// gobuild, one package each below it) shares: the Builder interface each
// implements (its cache key, its input check, its install for an
// architecture), Tools, which runs pip or uv, npm and node, and go in the
// environment layerctl was given and remembers what it asked them about
// themselves, and ToolError, a tool that failed, with its command and its
// own last words.
//
// It imports archive (sources) and manifest; the builders import it,
// archive, lambdafacts and manifest, never build or a step. layer/build
// lists the builders, one line each.
package builder
