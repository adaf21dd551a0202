// Package gobuild cross-compiles a layer's Go commands (GOOS=linux,
// GOARCH of the target, CGO off, -trimpath) into the layer, on this
// machine's toolchain.
package gobuild
