// Package lockstore keeps the lock where the manifest says (lock:): the
// file beside the manifest, or an S3 object that the parallel jobs of a
// CI matrix share. The S3 lock is read bounded, like any untrusted input,
// and every write is a read-modify-write with S3's conditional writes
// (If-None-Match: * to create it, If-Match: ETAG to replace it), tried
// again with jittered backoff when another job wrote first, so no job's
// entries are lost: the same mechanism Terraform's S3 backend uses for its
// state lock, with no DynamoDB table and no server. It imports manifest
// and the S3 SDK; the steps that read or record the lock import it.
package lockstore
