// Package node installs a layer's Node.js package with npm ci for the
// target platform (--os, --cpu, --libc), and refuses an .npmrc that names a
// program npm would run.
package node
