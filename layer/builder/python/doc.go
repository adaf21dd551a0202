// Package python installs a layer's Python requirements with pip or uv
// for the target platform (manylinux wheels for the architecture and each
// Python version of the layer's runtimes), reads requirements files as pip
// does, and refuses the lines that would make pip build from source.
package python
