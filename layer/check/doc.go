// Package check says what Lambda will make of a layer's content: whether
// its files sit where the declared runtimes look (the layout: with the
// edit of the manifest entry that puts them there), whether its
// native code is for the declared architectures (ELF), whether it fits
// Lambda's size limits, and, for a ZIP built by anyone, Inspect: its
// entries, sizes, largest files, names that unzippers read differently,
// and links that leave the layer.
//
// It imports the shared types (layer), archive (entry kinds and the link
// resolver), lambdafacts and manifest; never a step.
package check
