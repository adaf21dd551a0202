// Package layer is layerctl's domain: it turns a manifest's layer into a
// reproducible layer ZIP, checks that Lambda will see what the ZIP holds, and
// inspects ZIPs built by anyone.
package layer
