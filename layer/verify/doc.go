// Package verify loads a layer ZIP as Lambda would: it unpacks it into a
// folder laid out as /opt and, for each runtime, imports every top-level
// Python module or requires every Node.js package with the local python3
// or node, after the layout and ELF checks of inspect.
//
// It imports the shared types (layer), check (inspect), archive (unpack),
// builder (the tools), lambdafacts; of the steps, only build's.
package verify
