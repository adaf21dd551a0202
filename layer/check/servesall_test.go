package check

import (
	"debug/elf"
	"strings"
	"testing"

	"github.com/layerctl/layerctl/layer"
)

func TestServesBothButNativeForOne(t *testing.T) {
	got := ServesAll(map[string]uint16{"lib/libx.so": uint16(elf.EM_X86_64)}, []string{"x86_64", "arm64"})
	if len(got) != 1 || got[0].Severity != layer.SevWarning || !strings.Contains(got[0].Message, "arm64 functions cannot run it") {
		t.Errorf("got %v", got)
	}
	both := ServesAll(map[string]uint16{"lib/x86_64/libx.so": uint16(elf.EM_X86_64), "lib/aarch64/libx.so": uint16(elf.EM_AARCH64)}, []string{"x86_64", "arm64"})
	if len(both) != 0 {
		t.Errorf("native code for both: %v", both)
	}
}
