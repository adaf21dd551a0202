// Package output renders what commands found, for people (text on stdout,
// talk on stderr) and for pipelines (stable JSON on stdout).
package output
