// Package manifest owns layerctl.yaml: its types, loading it, and checking it strictly, reporting every problem with its file:line:column.
package manifest
