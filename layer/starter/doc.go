// Package starter writes the first layerctl.yaml of a folder: what it finds
// there (a requirements.txt for pip, a package.json and its lock for npm, a
// go.mod's main packages for go, else the files themselves), runtimes from
// the versions of the local python3 and node, the host's architecture, each
// key commented; never over an existing file, and only a manifest that
// parses. It imports builder (to ask the tools their versions), manifest
// and lambdafacts; no step.
package starter
