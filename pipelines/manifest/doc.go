// Package manifest renders the model server's Kubernetes objects: one
// kustomize overlay of the manifests folder, built in-process with the image
// set to the digest the pipeline pushed, and split into objects for the
// deploy step. The checkout is only read: the image is set on an in-memory
// copy.
//
// The manifests folder is laid out as
//
//	base/               the objects every environment shares
//	overlays/<env>/     one kustomization per environment (dev, staging, production)
package manifest
