package cmd

import "github.com/spf13/pflag"

// pacingFlags are --concurrency and --rate, which the commands that call
// Lambda through a pacing.Limiter take (attach, deploy, status, prune).
type pacingFlags struct {
	concurrency int
	rate        float64
}

// The help of --concurrency and --rate where the calls are counted per
// region only (status, prune).
const (
	regionsConcurrencyHelp = "AWS calls in flight at once, over every region"
	regionsRateHelp        = "calls per second and region (Lambda allows 15 per account and region); 0 paces nothing"
)

// add adds the flags, with their help in this command.
func (p *pacingFlags) add(fl *pflag.FlagSet, concurrencyHelp, rateHelp string) {
	fl.IntVar(&p.concurrency, "concurrency", 10, concurrencyHelp)
	fl.Float64Var(&p.rate, "rate", defaultRate, rateHelp)
}

// check refuses no call in flight and a rate below 0.
func (p *pacingFlags) check() error {
	if p.concurrency < 1 {
		return usagef("--concurrency must be at least 1")
	}
	if p.rate < 0 {
		return usagef("--rate must be 0 (no pacing) or more")
	}
	return nil
}

// defaultRate leaves a fifth of Lambda's 15 control-plane calls per second
// to the account's other users.
const defaultRate = 12

// readRate paces GetFunction (100 per second allowed) when the rest is paced.
func readRate(rate float64) float64 {
	if rate == 0 {
		return 0
	}
	return 80
}
