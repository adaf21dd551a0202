package lambdafacts

import (
	"debug/elf"
	"encoding/binary"
	"strings"
)

// Architectures are the instruction set architectures a Lambda layer can
// declare, in Lambda's spelling.
var Architectures = []string{"arm64", "x86_64"}

// architectureAliases maps names people often write to Lambda's spelling.
var architectureAliases = map[string]string{
	"aarch64": "arm64",
	"arm":     "arm64",
	"amd64":   "x86_64",
	"x64":     "x86_64",
	"x86-64":  "x86_64",
	"x86":     "x86_64",
}

// ArchitectureAlias is Lambda's name for an architecture people often name
// otherwise (amd64, aarch64...), case aside; ok is false for other names.
func ArchitectureAlias(name string) (arch string, ok bool) {
	arch, ok = architectureAliases[strings.ToLower(name)]
	return arch, ok
}

// Uname is the machine name Linux (and pip's platform tags) give arch.
func Uname(arch string) string {
	if arch == "arm64" {
		return "aarch64"
	}
	return "x86_64"
}

// GOARCH is Go's name for arch.
func GOARCH(arch string) string {
	if arch == "arm64" {
		return "arm64"
	}
	return "amd64"
}

// NpmCPU is npm's --cpu name for arch.
func NpmCPU(arch string) string {
	if arch == "arm64" {
		return "arm64"
	}
	return "x64"
}

// ArchOfGOARCH is Lambda's name for the Go architecture goarch (the
// machine layerctl runs on), or goarch itself when Lambda runs no such
// machine.
func ArchOfGOARCH(goarch string) string {
	switch goarch {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "arm64"
	}
	return goarch
}

// ELFMachine reads the machine field of an ELF header, if b starts with
// one. Only the first 20 bytes are needed, so it works on a file's first
// chunk.
func ELFMachine(b []byte) (uint16, bool) {
	if len(b) < 20 || string(b[:4]) != elf.ELFMAG {
		return 0, false
	}
	switch elf.Data(b[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		return binary.LittleEndian.Uint16(b[18:20]), true
	case elf.ELFDATA2MSB:
		return binary.BigEndian.Uint16(b[18:20]), true
	}
	return 0, false
}

// ArchOfMachine maps an ELF machine to a Lambda architecture name, or ""
// for machines Lambda does not run at all.
func ArchOfMachine(m uint16) string {
	switch elf.Machine(m) {
	case elf.EM_X86_64:
		return "x86_64"
	case elf.EM_AARCH64:
		return "arm64"
	}
	return ""
}

// MachineName is a reader's name for an ELF machine.
func MachineName(m uint16) string {
	switch elf.Machine(m) {
	case elf.EM_X86_64:
		return "x86_64"
	case elf.EM_AARCH64:
		return "arm64 (aarch64)"
	case elf.EM_386:
		return "x86 (32-bit)"
	case elf.EM_ARM:
		return "arm (32-bit)"
	}
	return elf.Machine(m).String()
}
