// Package lambdafacts is what AWS Lambda is, as layerctl needs to know it:
// its limits, its architectures (and the names other tools give them), its
// runtimes and their families, where each family reads a layer's files, and
// its regions.
//
// It holds facts, not policy: no checks, no messages for people. manifest
// and every step import it; it imports no layerctl package, only the
// standard library and the SDK's own list of runtimes.
package lambdafacts
