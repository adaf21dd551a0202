package fakelambda

import (
	"os"
	"testing"

	"github.com/layerctl/layerctl/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopMoto()
	os.Exit(code)
}
