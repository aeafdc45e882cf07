package mlflow

import "net/http"

// endpoint is one MLflow REST route. Paths are those of the rpc options in MLflow's
// service.proto, model_registry.proto and mlflow_artifacts.proto (since 2.0), served
// under /api/2.0; contract_test.go checks each one against the pinned MLflow release.
type endpoint struct {
	method  string
	path    string // below /api/2.0
	message string // proto request message, e.g. "mlflow.CreateRun"
}

var (
	epGetExperimentByName = endpoint{http.MethodGet, "/mlflow/experiments/get-by-name", "mlflow.GetExperimentByName"}
	epGetExperiment       = endpoint{http.MethodGet, "/mlflow/experiments/get", "mlflow.GetExperiment"}
	epCreateExperiment    = endpoint{http.MethodPost, "/mlflow/experiments/create", "mlflow.CreateExperiment"}

	epCreateRun  = endpoint{http.MethodPost, "/mlflow/runs/create", "mlflow.CreateRun"}
	epUpdateRun  = endpoint{http.MethodPost, "/mlflow/runs/update", "mlflow.UpdateRun"}
	epGetRun     = endpoint{http.MethodGet, "/mlflow/runs/get", "mlflow.GetRun"}
	epSearchRuns = endpoint{http.MethodPost, "/mlflow/runs/search", "mlflow.SearchRuns"}
	epLogBatch   = endpoint{http.MethodPost, "/mlflow/runs/log-batch", "mlflow.LogBatch"}
	epDeleteTag  = endpoint{http.MethodPost, "/mlflow/runs/delete-tag", "mlflow.DeleteTag"}

	epCreateRegisteredModel    = endpoint{http.MethodPost, "/mlflow/registered-models/create", "mlflow.CreateRegisteredModel"}
	epGetRegisteredModel       = endpoint{http.MethodGet, "/mlflow/registered-models/get", "mlflow.GetRegisteredModel"}
	epSearchRegisteredModels   = endpoint{http.MethodGet, "/mlflow/registered-models/search", "mlflow.SearchRegisteredModels"}
	epSetRegisteredModelTag    = endpoint{http.MethodPost, "/mlflow/registered-models/set-tag", "mlflow.SetRegisteredModelTag"}
	epDeleteRegisteredModelTag = endpoint{http.MethodDelete, "/mlflow/registered-models/delete-tag", "mlflow.DeleteRegisteredModelTag"}

	epCreateModelVersion    = endpoint{http.MethodPost, "/mlflow/model-versions/create", "mlflow.CreateModelVersion"}
	epGetModelVersion       = endpoint{http.MethodGet, "/mlflow/model-versions/get", "mlflow.GetModelVersion"}
	epSearchModelVersions   = endpoint{http.MethodGet, "/mlflow/model-versions/search", "mlflow.SearchModelVersions"}
	epSetModelVersionTag    = endpoint{http.MethodPost, "/mlflow/model-versions/set-tag", "mlflow.SetModelVersionTag"}
	epDeleteModelVersionTag = endpoint{http.MethodDelete, "/mlflow/model-versions/delete-tag", "mlflow.DeleteModelVersionTag"}

	epSetAlias       = endpoint{http.MethodPost, "/mlflow/registered-models/alias", "mlflow.SetRegisteredModelAlias"}
	epDeleteAlias    = endpoint{http.MethodDelete, "/mlflow/registered-models/alias", "mlflow.DeleteRegisteredModelAlias"}
	epGetByAlias     = endpoint{http.MethodGet, "/mlflow/registered-models/alias", "mlflow.GetModelVersionByAlias"}
	aliasRoutePrefix = "/api/2.0" + epSetAlias.path

	// The artifact proxy: <path:artifact_path> is a path relative to --artifacts-destination.
	epUploadArtifact   = endpoint{http.MethodPut, "/mlflow-artifacts/artifacts/<path:artifact_path>", "mlflow.artifacts.UploadArtifact"}
	epDownloadArtifact = endpoint{http.MethodGet, "/mlflow-artifacts/artifacts/<path:artifact_path>", "mlflow.artifacts.DownloadArtifact"}
	epListArtifacts    = endpoint{http.MethodGet, "/mlflow-artifacts/artifacts", "mlflow.artifacts.ListArtifacts"}
)

// artifactPrefix is the proxied-artifact route with its path parameter removed.
const artifactPrefix = "/mlflow-artifacts/artifacts/"
