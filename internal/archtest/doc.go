// Package archtest holds the test that keeps the packages' imports running
// one way (see docs/architecture.md); it has no code of its own.
package archtest
