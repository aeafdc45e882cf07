// Package depsprobe keeps dependencies in go.mod while their packages are
// being written; removed once they are imported for real.
package depsprobe

import (
	_ "github.com/aquasecurity/trivy-db/pkg/db"
	_ "github.com/aquasecurity/trivy-db/pkg/types"
	_ "github.com/aquasecurity/trivy-db/pkg/vulnsrc/vulnerability"
	_ "github.com/goharbor/go-client/pkg/harbor"
	_ "github.com/goharbor/go-client/pkg/sdk/v2.0/client"
	_ "go.etcd.io/bbolt"
	_ "k8s.io/api/apps/v1"
	_ "k8s.io/apimachinery/pkg/apis/meta/v1"
	_ "k8s.io/client-go/applyconfigurations/apps/v1"
	_ "k8s.io/client-go/discovery/cached/memory"
	_ "k8s.io/client-go/dynamic"
	_ "k8s.io/client-go/kubernetes"
	_ "k8s.io/client-go/rest"
	_ "k8s.io/client-go/restmapper"
	_ "k8s.io/client-go/tools/clientcmd"
	_ "k8s.io/client-go/tools/leaderelection/resourcelock"
	_ "sigs.k8s.io/kustomize/api/krusty"
	_ "sigs.k8s.io/kustomize/kyaml/filesys"
)
