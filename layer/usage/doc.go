// Package usage finds which function configurations of a region use which
// versions of some layers: one ListFunctions pass with FunctionVersion=ALL
// ($LATEST and every published function version), paged, and the aliases
// of only the functions found using one (ListAliases). status reports it
// and prune keeps every version it finds in use. It imports
// internal/awsretry and the SDK; the caller paces the calls.
package usage
