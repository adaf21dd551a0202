package manifest

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// Publishing is where and how a layer is published: inherited from defaults
// key by key (a layer's own regions, s3 or share replaces the default's).
type Publishing struct {
	Regions []string // empty: the SDK's configured region
	S3      S3
	Share   Share
}

// S3 is the bucket that carries ZIPs too big to send inline.
type S3 struct {
	Bucket  string            // used in every region without its own
	Buckets map[string]string // region -> bucket; a bucket must be in its region
	Prefix  string            // key prefix, e.g. "layers/"
}

// BucketFor is the bucket for ZIPs published in region, "" when none is set.
func (s S3) BucketFor(region string) string {
	if b, ok := s.Buckets[region]; ok {
		return b
	}
	return s.Bucket
}

// Key is the content-addressed object key of a layer ZIP: new content, new key.
func (s S3) Key(layer, sha256Hex string) string {
	return s.Prefix + layer + "/" + sha256Hex + ".zip"
}

// Share says who may use every version of the layer.
type Share struct {
	Accounts      []string // 12-digit account IDs
	Organizations []string // AWS Organizations IDs, o-...
	Public        bool     // every AWS account
}

// IsZero reports whether the layer is shared with nobody.
func (s Share) IsZero() bool {
	return len(s.Accounts) == 0 && len(s.Organizations) == 0 && !s.Public
}

var (
	publishKeys = []string{"regions", "s3", "share"}
	s3Keys      = []string{"bucket", "buckets", "prefix"}
	shareKeys   = []string{"accounts", "organizations", "public"}

	bucketFormat = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	accountID    = regexp.MustCompile(`^[0-9]{12}$`)
	orgID        = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
)

// publishing holds the publishing keys given in one mapping.
type publishing struct {
	regions                     []string
	s3                          S3
	share                       Share
	hasRegions, hasS3, hasShare bool
}

func (w *walker) publishing(keys map[string]entry, field string) publishing {
	var p publishing
	if e, ok := keys["regions"]; ok && !isNull(e.value) {
		p.regions, p.hasRegions = w.regions(e.value, field+".regions"), true
	}
	if e, ok := keys["s3"]; ok && !isNull(e.value) {
		p.s3, p.hasS3 = w.s3(e.value, field+".s3"), true
	}
	if e, ok := keys["share"]; ok && !isNull(e.value) {
		p.share, p.hasShare = w.share(e.value, field+".share"), true
	}
	return p
}

// inherit applies defaults d under the layer's own settings p.
func (p publishing) inherit(d publishing) Publishing {
	out := Publishing{Regions: slices.Clone(d.regions), S3: d.s3, Share: d.share}
	if p.hasRegions {
		out.Regions = p.regions
	}
	if p.hasS3 {
		out.S3 = p.s3
	}
	if p.hasShare {
		out.Share = p.share
	}
	out.S3.Buckets = maps.Clone(out.S3.Buckets)
	return out
}

func (w *walker) regions(n *yaml.Node, field string) []string {
	items, _ := w.strList(n, field)
	if n.Kind == yaml.SequenceNode && len(n.Content) == 0 {
		w.fail(n, field, "must list at least one region, e.g. [us-east-1]; leave it out to use the SDK's configured region")
	}
	var out []string
	for _, it := range items {
		switch {
		case !lambdafacts.ValidRegion(it.s):
			w.fail(it.node, it.field, "%q is not an AWS region name; regions look like us-east-1 or eu-west-2%s", it.s, didYouMean(it.s, lambdafacts.KnownRegions))
		case slices.Contains(out, it.s):
			w.fail(it.node, it.field, "%q is listed twice", it.s)
		default:
			out = append(out, it.s)
		}
	}
	return out
}

func (w *walker) s3(n *yaml.Node, field string) S3 {
	var s S3
	if n.Kind != yaml.MappingNode {
		w.fail(n, field, "must be a mapping with keys %s, got %s", strings.Join(s3Keys, ", "), describe(n))
		return s
	}
	keys := byKey(w.entries(n, field, s3Keys))
	if e, ok := keys["bucket"]; ok && !isNull(e.value) {
		s.Bucket = w.bucket(e.value, field+".bucket")
	}
	if e, ok := keys["buckets"]; ok && !isNull(e.value) {
		s.Buckets = w.buckets(e.value, field+".buckets")
	}
	if s.Bucket == "" && len(s.Buckets) == 0 {
		w.fail(n, field, "needs bucket (one bucket for every region) or buckets (a bucket per region)")
	}
	if e, ok := keys["prefix"]; ok && !isNull(e.value) {
		if p, ok := w.str(e.value, field+".prefix"); ok {
			switch {
			case strings.HasPrefix(p, "/"):
				w.fail(e.value, field+".prefix", "%q must not start with /: S3 keys are relative to the bucket", p)
			case strings.Contains(p, "//") || strings.Contains(p, `\`):
				w.fail(e.value, field+".prefix", "%q has an empty segment or a backslash", p)
			default:
				s.Prefix = p
			}
		}
	}
	return s
}

func (w *walker) bucket(n *yaml.Node, field string) string {
	b, ok := w.str(n, field)
	if !ok {
		return ""
	}
	if !bucketFormat.MatchString(b) || strings.Contains(b, "..") {
		w.fail(n, field, "%q is not a valid S3 bucket name: 3 to 63 lower-case letters, digits, dots and hyphens", b)
		return ""
	}
	return b
}

func (w *walker) buckets(n *yaml.Node, field string) map[string]string {
	if n.Kind != yaml.MappingNode {
		w.fail(n, field, "must be a mapping from region to bucket, e.g. {us-east-1: my-layers-use1}, got %s", describe(n))
		return nil
	}
	out := map[string]string{}
	for _, e := range w.entries(n, field, nil) {
		region := e.key.Value
		f := field + "." + region
		if !lambdafacts.ValidRegion(region) {
			w.fail(e.key, field, "%q is not an AWS region name%s", region, didYouMean(region, lambdafacts.KnownRegions))
			continue
		}
		if b := w.bucket(e.value, f); b != "" {
			out[region] = b
		}
	}
	return out
}

func (w *walker) share(n *yaml.Node, field string) Share {
	var s Share
	if n.Kind != yaml.MappingNode {
		w.fail(n, field, "must be a mapping with keys %s, got %s", strings.Join(shareKeys, ", "), describe(n))
		return s
	}
	keys := byKey(w.entries(n, field, shareKeys))
	if e, ok := keys["accounts"]; ok {
		s.Accounts = w.ids(e.value, field+".accounts", accountID, "an AWS account ID: 12 digits, quoted (\"111122223333\")")
	}
	if e, ok := keys["organizations"]; ok {
		s.Organizations = w.ids(e.value, field+".organizations", orgID, "an AWS Organizations ID: o- and 10 to 32 lower-case letters or digits")
	}
	if e, ok := keys["public"]; ok && !isNull(e.value) {
		s.Public = w.boolean(e.value, field+".public")
		if s.Public && (len(s.Accounts) > 0 || len(s.Organizations) > 0) {
			w.warn(e.value, field+".public", "public: true shares the layer with every AWS account; the accounts and organizations listed add nothing")
		}
	}
	return s
}

// ids returns the distinct strings of list n that match format, reporting
// the others as not being what.
func (w *walker) ids(n *yaml.Node, field string, format *regexp.Regexp, what string) []string {
	items, _ := w.strList(n, field)
	var out []string
	for _, it := range items {
		switch {
		case !format.MatchString(it.s):
			w.fail(it.node, it.field, "%q is not %s", it.s, what)
		case !slices.Contains(out, it.s):
			out = append(out, it.s)
		}
	}
	return out
}

// RegionHint suggests a known region close to r, for messages.
func RegionHint(r string) string { return didYouMean(r, lambdafacts.KnownRegions) }
