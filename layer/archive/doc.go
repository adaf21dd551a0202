// Package archive reads and writes trees and ZIPs: a layer's sources
// listed into entries (the walk, excludes and globs, symlinks resolved as
// Linux does), the deterministic ZIP writer and its content digest, and
// archives (ZIP, tar and its compressions) unpacked safely into a folder.
// Sources that change or vanish while read are named as such.
//
// It is the lowest of the layer packages: it may import manifest (a
// layer's files and excludes), lambdafacts and internal helpers, never
// another layer package.
package archive
