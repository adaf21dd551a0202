// Package layer is layerctl's domain: it turns a manifest's layer into a
// reproducible layer ZIP (from files, archives, and what pip or uv, npm and
// go install for the target architecture), remembers what it built so an
// unchanged layer is not built twice, checks that Lambda will see what the
// ZIP holds, verifies that its packages import, and inspects ZIPs built by
// anyone.
package layer
