package layer

// Status says what a step did to one thing (a layer in a region, a
// function), as its report and the JSON output name it.
type Status string

// What publish did in one region.
const (
	StatusPublished    Status = "published"     // a new version was created
	StatusUnchanged    Status = "unchanged"     // a version with this content already existed; for attach: the function already uses it
	StatusWouldPublish Status = "would-publish" // --dry-run: a new version would be created
	StatusFailed       Status = "failed"
)

// What attach did to one function; StatusUnchanged and StatusFailed too.
const (
	StatusAttached       Status = "attached"        // now uses the version
	StatusWouldAttach    Status = "would-attach"    // --dry-run: would be changed
	StatusRefused        Status = "refused"         // not changed: it would break or Lambda would refuse
	StatusRolledBack     Status = "rolled-back"     // --atomic: changed, then put back as it was
	StatusRollbackFailed Status = "rollback-failed" // --atomic: changed, and putting it back failed
	StatusSkipped        Status = "skipped"         // left alone: interrupted, --atomic stopped, or no longer uses the layer
)

// What prune did to one layer version; StatusFailed too.
const (
	StatusDeleted     Status = "deleted"      // the version was deleted
	StatusWouldDelete Status = "would-delete" // --dry-run: it would be deleted
	StatusKept        Status = "kept"         // not deleted: the reason says why
)
