// Package deploy is build, publish and attach in a row, as one step: the
// layers are built (through the build cache), the artifacts published
// (only where the content is new), and the functions moved onto the
// versions; each step skips what it has nothing to do for, and a layer
// that was not published everywhere in an account is not attached there.
// With --shard it builds only the layers its units need.
//
// It imports the three steps (build, publish, attach), the shared types
// (layer), units and manifest; nothing imports it but cmd.
package deploy
