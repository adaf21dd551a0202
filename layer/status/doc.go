// Package status says where each layer stands in each of its regions:
// every version (its digest, when it was published, whether the lock names
// it, how many function configurations use it), every function
// configuration using one ($LATEST and published versions, with their
// aliases) and how many versions behind the newest it is, and the
// account's code storage, in each of the layer's accounts. It only reads,
// pacing its calls as attach does.
//
// It imports manifest, units, lockstore, versions, usage and internal/awsretry, internal/crash,
// internal/pacing; no other step.
package status
