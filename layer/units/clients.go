package units

import (
	"context"

	"github.com/layerctl/layerctl/layer/lockstore"
	"github.com/layerctl/layerctl/manifest"
)

// Clients are the clients a step that acts per account (attach, status,
// prune) runs with: its Lambda client per region (A, the step's own API),
// the SDK's configured region (for layers that name none), and how to make
// the clients of the other accounts (ForAccounts).
type Clients[A any] struct {
	Lambda func(region string) A
	Region string
	// ID is the account these clients act in ("" when unknown): what the
	// report says of the credentials' own account.
	ID string
	// Account makes the clients of an account the manifest names (its role
	// assumed); nil when the run has none to make.
	Account func(context.Context, manifest.Account) (*Clients[A], error)
	// Lock is the S3 client of the lock's bucket when the manifest keeps
	// the lock in S3 (lock: {s3: ...}); nil otherwise.
	Lock lockstore.S3API
}
