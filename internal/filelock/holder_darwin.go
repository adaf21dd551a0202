package filelock

import "os"

// holder: macOS does not tell who holds a flock.
func holder(*os.File) int { return 0 }
