// Package builder is what every ecosystem's builder (python, node,
// gobuild, one package each below it) shares: Tools, which runs pip or uv,
// npm and node, and go in the environment layerctl was given and remembers
// what it asked them about themselves, and ToolError, a tool that failed,
// with its command and its own last words.
//
// It imports no layer package; the builders import it, archive (for
// ContentError and paths), lambdafacts and manifest, never build or a step.
package builder
