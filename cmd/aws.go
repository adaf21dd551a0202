package cmd

import (
	"context"

	"github.com/layerctl/layerctl/internal/awsclient"
)

// awsClients loads the SDK's configuration as the global flags and the
// environment say, and fails early, with what to do, without credentials.
func awsClients(ctx context.Context, f *Factory) (*awsclient.Clients, error) {
	clients, err := awsclient.Load(ctx, awsclient.Options{
		Profile:     f.Globals.Profile,
		EndpointURL: f.Globals.EndpointURL,
		PathStyle:   endpointOverride(f),
	})
	if err != nil {
		return nil, err
	}
	if err := clients.CheckCredentials(ctx); err != nil {
		return nil, err
	}
	return clients, nil
}

// endpointOverride reports whether AWS calls go to a custom endpoint (an
// emulator), where S3 needs path-style addressing.
func endpointOverride(f *Factory) bool {
	return f.Globals.EndpointURL != "" || f.Getenv("AWS_ENDPOINT_URL") != "" || f.Getenv("AWS_ENDPOINT_URL_S3") != ""
}
