package cmd

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/layerctl/layerctl/internal/awsclient"
	"github.com/layerctl/layerctl/layer/lockstore"
	"github.com/layerctl/layerctl/layer/units"
	"github.com/layerctl/layerctl/manifest"
)

// ownAccount is the account of the run's credentials, for the reports
// (one STS GetCallerIdentity call, which needs no permission); "" with a
// warning when STS does not say.
func ownAccount(ctx context.Context, f *Factory, c *awsclient.Clients) string {
	id, err := c.AccountID(ctx)
	if err != nil {
		fmt.Fprintf(f.Err, "warning: %v; the account of the credentials is left empty in the report\n", err)
	}
	return id
}

// lockClient is the S3 client of the lock's bucket, when the manifest
// keeps the lock in S3: in its lock.region, else the configured one.
func lockClient(m *manifest.Manifest, c *awsclient.Clients) lockstore.S3API {
	o := m.Lock.S3
	if o == nil {
		return nil
	}
	region := o.Region
	if region == "" {
		region = c.Region()
	}
	if region == "" {
		region = "us-east-1"
	}
	return c.S3(region)
}

// stepClients makes the AWS clients of a step that acts per account
// (attach, status, prune) once the step asks for them, its Lambda clients
// as api makes them of the SDK's; the roles of the manifest's accounts are
// assumed as the step asks, in sessions naming the command.
func stepClients[A any](f *Factory, m *manifest.Manifest, command string, api func(*lambda.Client) A) func(context.Context) (*units.Clients[A], error) {
	return func(ctx context.Context) (*units.Clients[A], error) {
		clients, err := awsClients(ctx, f)
		if err != nil {
			return nil, err
		}
		return stepClientsOf(clients, ownAccount(ctx, f, clients), m, command, api), nil
	}
}

func stepClientsOf[A any](c *awsclient.Clients, id string, m *manifest.Manifest, command string, api func(*lambda.Client) A) *units.Clients[A] {
	return &units.Clients[A]{
		Lambda: func(r string) A { return api(c.Lambda(r)) },
		Region: c.Region(),
		ID:     id,
		Lock:   lockClient(m, c),
		Account: func(ctx context.Context, a manifest.Account) (*units.Clients[A], error) {
			assumed, err := c.Assume(ctx, a.Role, a.ExternalID, command)
			if err != nil {
				return nil, err
			}
			return stepClientsOf(assumed, a.ID, m, command, api), nil
		},
	}
}

// accountView is how reports show the account of a row: a column in the
// tables when the manifest names accounts, and in JSON always, the run's
// own account (the rows whose account is "") by its ID.
type accountView struct {
	column bool
	caller string
}

func viewOf(m *manifest.Manifest, caller string) accountView {
	return accountView{column: m.UsesAccounts(), caller: caller}
}

// of is the account a row shows.
func (v accountView) of(account string) string {
	if account == "" {
		return v.caller
	}
	return account
}

// head is a table's header: first, then ACCOUNT when the column is shown,
// then rest.
func (v accountView) head(first, rest string) string {
	if v.column {
		return first + "ACCOUNT\t" + rest
	}
	return first + rest
}

// cell is a row's ACCOUNT cell with its tab, "" when the column is not
// shown.
func (v accountView) cell(account string) string {
	if !v.column {
		return ""
	}
	return orDash(v.of(account)) + "\t"
}
