// Package retention prunes a container repository to its newest N versions
// while never deleting what is deployed or pinned.
//
// A version is one manifest digest together with every tag that points at it.
// Pruner.Plan lists the tags, resolves each to its digest and creation time,
// ranks the versions newest first and marks the ones to keep: the newest N,
// every version named by a protected reference, and everything those need (an
// index's platform images, cosign-style "sha256-<hex>.sig" tags of a kept
// image). Pruner.Apply deletes the rest and then plans again to verify that
// every kept and protected reference still resolves.
//
// Registries differ in what a DELETE does. distribution 2.8.2 refuses to
// delete a tag and, given a digest, removes the manifest with every tag on it;
// go-containerregistry's pkg/registry deletes tags one by one and leaves tags
// in place when their digest is deleted. Apply therefore deletes by tag where
// the registry allows it and learns that it does not by trying (a tag DELETE
// answered 400, 405 or UNSUPPORTED), never from the registry's name; it then
// deletes a digest only when no tag outside the plan points at it.
package retention
