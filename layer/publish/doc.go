// Package publish makes a layer's content a layer version in each region
// it is published to: only where no version holds that content with the
// manifest's metadata yet (found by its digest, its metadata compared),
// inline (up to what Lambda's request body can carry) or through S3 (with
// proof of the object's bytes), shared as the manifest says, and recorded
// in the lock (layerctl.lock, or the S3 lock the jobs of a matrix share),
// in each of the layer's accounts.
//
// It imports the shared types (layer), versions, check (a ZIP built
// elsewhere, --zip), manifest and the internal AWS helpers; of the steps,
// only build's.
package publish
