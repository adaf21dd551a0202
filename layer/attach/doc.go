// Package attach repoints functions at a layer's version: it finds the
// target functions (by name, by tag, or every function using the layer),
// plans each change (only this layer's ARN replaced, refusing what would
// break or what Lambda would refuse), and applies it with the function's
// RevisionId, waiting out updates in progress, pacing its calls under
// Lambda's request quotas, and putting every function back with --atomic.
// With accounts in the manifest it does so in each account at once, each
// account and region paced apart.
//
// It imports the shared types (layer), versions, manifest, units,
// lockstore and
// internal/awsretry, internal/crash, internal/pacing (the pace of its
// calls, shared with status and prune); of the steps, only build's.
package attach
