// Package build turns a manifest's layer into a reproducible layer ZIP:
// its plan (sources, archives, and what the builders install for each
// architecture), the build cache and hash memo that let an unchanged layer
// be skipped, the checks that stop a layer Lambda would not load, and the
// output folder's safety (never a source, leftovers of killed builds
// reclaimed).
//
// It imports the shared types (layer), archive, check, builder and each
// builder, lambdafacts and manifest; no other step.
package build
