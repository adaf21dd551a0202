// Package versions reads a layer's published versions: the one holding a
// given content (found by the digest tag in its description and confirmed
// by its CodeSha256), or that content with given metadata (runtimes,
// architectures, license, description: fixed for a version's life), one
// version by number, with what attach checks a function against, every
// version that exists (List), and whom a version is shared with
// (SharedWith). publish, attach, status and prune import it; it imports
// manifest (for the digest tag) and internal/awsretry, no step.
package versions
