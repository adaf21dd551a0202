package layer

import (
	"debug/elf"
	"encoding/binary"
)

// elfMachine reads the machine field of an ELF header, if b starts with one.
// Only the first 20 bytes are needed, so it works on a file's first chunk.
func elfMachine(b []byte) (uint16, bool) {
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

// archOfMachine maps an ELF machine to a Lambda architecture name, or ""
// for machines Lambda does not run at all.
func archOfMachine(m uint16) string {
	switch elf.Machine(m) {
	case elf.EM_X86_64:
		return "x86_64"
	case elf.EM_AARCH64:
		return "arm64"
	}
	return ""
}

// machineName is a reader's name for an ELF machine.
func machineName(m uint16) string {
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
