// Package verify loads a layer ZIP as Lambda would: it unpacks it into a
// folder laid out as /opt and, for each runtime, imports the Python
// modules or requires the Node.js packages a function would, with the
// local python3 or node, after the layout and ELF checks of inspect. What
// this machine cannot load (native code for another CPU, another CPython)
// is judged from its files and skipped with the reason; a report where
// nothing was loaded says so.
//
// It imports the shared types (layer), check (inspect), archive (unpack),
// builder (the tools), lambdafacts; of the steps, only build's.
package verify
