// Package units cuts a step's work into units, one per layer, account and
// region (Plan), groups them by account for the clients that act there
// (ByAccount, ForAccounts, Clients), and assigns them to the shards of a
// CI matrix (Assign, Shard): the work is embarrassingly parallel per unit,
// so N jobs running --shard I/N cover every unit exactly once with no
// coordinator. It imports manifest, and lockstore for the lock's client.
package units
