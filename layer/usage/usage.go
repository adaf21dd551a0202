package usage

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// API is what finding the users of layer versions calls, with the SDK's
// signatures.
type API interface {
	ListFunctions(context.Context, *lambda.ListFunctionsInput, ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error)
	ListAliases(context.Context, *lambda.ListAliasesInput, ...func(*lambda.Options)) (*lambda.ListAliasesOutput, error)
}

var _ API = (*lambda.Client)(nil)

// Latest is the qualifier of a function's unpublished configuration.
const Latest = "$LATEST"

// Config is one function configuration using a version of one of the
// layers asked about.
type Config struct {
	Function  string   // the function's name
	Qualifier string   // Latest, or the published version's number
	Aliases   []string // the aliases that point at this configuration (or route some calls to it), sorted
	Layer     string   // the layer's name
	Version   int64    // the layer version it uses
	ARN       string   // that version's ARN
}

// Label names the configuration for people: "orders-api", or
// "orders-api:3 (live)" for a published version and its aliases.
func (c Config) Label() string {
	s := c.Function
	if c.Qualifier != Latest {
		s += ":" + c.Qualifier
	}
	if len(c.Aliases) > 0 {
		s += " (" + strings.Join(c.Aliases, ", ") + ")"
	}
	return s
}

// Find lists every function configuration of the region (one paged
// ListFunctions pass with FunctionVersion=ALL) and returns those using a
// version of one of layers (names), with their aliases, by function then
// qualifier. A layer version counts only in the function's own account
// and region: another account's layer of the same name is not this one.
// Aliases are read (ListAliases) only for the functions found.
func Find(ctx context.Context, api API, layers []string) ([]Config, error) {
	want := map[string]bool{}
	for _, l := range layers {
		want[l] = true
	}
	var out []Config
	pages := lambda.NewListFunctionsPaginator(api, &lambda.ListFunctionsInput{FunctionVersion: types.FunctionVersionAll})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the functions and their versions: %w", err)
		}
		for _, f := range page.Functions {
			out = append(out, uses(f, want)...)
		}
	}
	byFunction := map[string][]int{}
	for i, c := range out {
		byFunction[c.Function] = append(byFunction[c.Function], i)
	}
	for _, fn := range slices.Sorted(maps.Keys(byFunction)) {
		aliases, err := aliasesOf(ctx, api, fn)
		if err != nil {
			return nil, err
		}
		for _, i := range byFunction[fn] {
			out[i].Aliases = aliases[out[i].Qualifier]
		}
	}
	slices.SortFunc(out, func(a, b Config) int {
		return cmp.Or(strings.Compare(a.Function, b.Function), compareQualifiers(a.Qualifier, b.Qualifier), strings.Compare(a.ARN, b.ARN))
	})
	return out, nil
}

// uses is what of f's Layers are versions of the layers wanted.
func uses(f types.FunctionConfiguration, want map[string]bool) []Config {
	fnARN := splitARN(aws.ToString(f.FunctionArn))
	var out []Config
	for _, l := range f.Layers {
		arn := aws.ToString(l.Arn)
		a := splitARN(arn)
		if len(a) != 8 || a[5] != "layer" || !want[a[6]] {
			continue
		}
		if len(fnARN) >= 7 && (a[3] != fnARN[3] || a[4] != fnARN[4]) {
			continue // another region's or account's layer of that name
		}
		n, err := strconv.ParseInt(a[7], 10, 64)
		if err != nil {
			continue
		}
		out = append(out, Config{Function: aws.ToString(f.FunctionName), Qualifier: cmp.Or(aws.ToString(f.Version), Latest),
			Layer: a[6], Version: n, ARN: arn})
	}
	return out
}

// splitARN is an ARN's fields: arn, partition, service, region, account,
// resource type, name and (for a version or qualifier) the last.
func splitARN(arn string) []string {
	parts := strings.Split(arn, ":")
	if len(parts) < 7 || parts[0] != "arn" {
		return nil
	}
	return parts
}

// aliasesOf reads a function's aliases: by the qualifier each points at,
// and each version a weighted alias routes some calls to, sorted.
func aliasesOf(ctx context.Context, api API, fn string) (map[string][]string, error) {
	out := map[string][]string{}
	pages := lambda.NewListAliasesPaginator(api, &lambda.ListAliasesInput{FunctionName: aws.String(fn)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the aliases of %s: %w", fn, err)
		}
		for _, a := range page.Aliases {
			name := aws.ToString(a.Name)
			out[aws.ToString(a.FunctionVersion)] = append(out[aws.ToString(a.FunctionVersion)], name)
			if a.RoutingConfig != nil {
				for v := range a.RoutingConfig.AdditionalVersionWeights {
					out[v] = append(out[v], name)
				}
			}
		}
	}
	for q, names := range out {
		slices.Sort(names)
		out[q] = slices.Compact(names)
	}
	return out, nil
}

// compareQualifiers orders $LATEST first, then versions by number.
func compareQualifiers(a, b string) int {
	if a == b {
		return 0
	}
	if a == Latest || b == Latest {
		if a == Latest {
			return -1
		}
		return 1
	}
	na, ea := strconv.ParseInt(a, 10, 64)
	nb, eb := strconv.ParseInt(b, 10, 64)
	if ea != nil || eb != nil {
		return strings.Compare(a, b)
	}
	return cmp.Compare(na, nb)
}
