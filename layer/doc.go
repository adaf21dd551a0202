// Package layer holds the types a layer's life shares between its stages:
// Artifact (a built ZIP, its digest the identity), Finding and Severity
// (with the Errors filter), CheckError, Status, DefaultModified. It imports
// nothing of layerctl and no SDK.
//
// The stages live below it, one package each, importing one way (a step
// never imports a later step):
//
//	layer/lambdafacts  what Lambda is: limits, architectures, runtimes, layer paths, regions
//	layer/archive      trees and ZIPs: the walk, entries, links, the deterministic writer, unpacking
//	layer/check        what Lambda makes of content: layout, ELF, sizes, Inspect
//	layer/builder      the tool runner; builder/python, builder/node, builder/gobuild
//	layer/build        the build step: plan, cache, checks, output folder
//	layer/verify       the verify step: load the layer as /opt with a local runtime
//	layer/versions     reading published layer versions
//	layer/publish      the publish step: versions, S3, sharing, the lock
//	layer/attach       the attach step: targets, plan, apply, pacing
//
// docs/architecture.md draws the flow of data between them.
package layer
