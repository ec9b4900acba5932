package notify

import (
	"crypto/tls"
	"os"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// serverCert is a server certificate the system's roots trust in these
// tests.
var serverCert tls.Certificate

func TestMain(m *testing.M) {
	var err error
	if serverCert, err = opstest.TrustServerCert(); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}
