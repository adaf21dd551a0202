// Package prune deletes a layer's old versions, never one still needed:
// of the versions older than the newest N, it keeps every one that
// layerctl.lock names, that a function configuration ($LATEST, a published
// version, an alias) uses in that region, or that is shared with another
// account or organization (whose functions it cannot see), and says why;
// just before deleting, it looks again. It paces its calls as attach does
// and holds the lock file's turn while it deletes (the S3 lock, which has
// no turn, it reads again right before deleting). With accounts in the
// manifest it prunes each account through its own clients.
//
// It imports the shared types (layer), manifest, units, lockstore, versions, usage and
// internal/awsretry, internal/crash, internal/pacing; no other step.
package prune
