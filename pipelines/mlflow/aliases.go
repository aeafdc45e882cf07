package mlflow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
)

// AliasTagPrefix starts the model version tags that stand in for aliases on a server
// without the alias endpoints (MLflow before 2.3 answers 404, no such route, for
// /api/2.0/mlflow/registered-models/alias). In that mode alias A of model M points at
// version V when V carries the tag "alias.A" = "true":
//
//   - SetAlias checks that V exists, deletes "alias.A" from every other version of M,
//     then sets it on V (for a moment no version holds A: readers see "not found",
//     never a version the alias is leaving);
//   - GetModelVersionByAlias lists M's versions and returns the one holding the tag
//     (the highest-numbered if a concurrent writer left two), or a RESOURCE_DOES_NOT_EXIST
//     *Error like the real endpoint; the returned version lists A in Aliases;
//   - DeleteAlias deletes the tag from every version holding it.
//
// The client switches to this mode the first time the server answers 404 without an
// MLflow error body for an alias endpoint, and stays in it.
const AliasTagPrefix = "alias."

type setAliasRequest struct {
	Name    string `json:"name"`
	Alias   string `json:"alias"`
	Version string `json:"version"`
}

type aliasRequest struct {
	Name  string `json:"name"`
	Alias string `json:"alias"`
}

// SetAlias points alias at a version of a registered model, moving it from any other version.
func (c *Client) SetAlias(ctx context.Context, name, alias, version string) error {
	err := c.aliasCall(ctx, &call{ep: epSetAlias, req: setAliasRequest{name, alias, version}})
	if IsEndpointNotFound(err) {
		err = c.setAliasTag(ctx, name, alias, version)
	}
	if err != nil {
		return fmt.Errorf("setting alias %q of %q to version %s: %w", alias, name, version, err)
	}
	return nil
}

// GetModelVersionByAlias returns the version an alias points at; IsNotFound(err) if the
// model or the alias does not exist. (MLflow answers an alias that is not set with
// INVALID_PARAMETER_VALUE; the client reports it as RESOURCE_DOES_NOT_EXIST, as in the
// version-tag fallback.)
func (c *Client) GetModelVersionByAlias(ctx context.Context, name, alias string) (*ModelVersion, error) {
	var out modelVersionResponse
	err := c.aliasCall(ctx, &call{ep: epGetByAlias, req: aliasRequest{name, alias}, out: &out})
	v := &out.ModelVersion
	if IsEndpointNotFound(err) {
		v, err = c.getAliasTag(ctx, name, alias)
	}
	err = unknownAliasIsNotFound(err)
	if err != nil {
		return nil, fmt.Errorf("getting version of %q with alias %q: %w", name, alias, err)
	}
	return v, nil
}

// DeleteAlias removes an alias from a registered model; removing an alias that is not set
// succeeds, as it does on the server.
func (c *Client) DeleteAlias(ctx context.Context, name, alias string) error {
	err := c.aliasCall(ctx, &call{ep: epDeleteAlias, req: aliasRequest{name, alias}})
	if IsEndpointNotFound(err) {
		err = c.deleteAliasTag(ctx, name, alias)
	}
	if err != nil {
		return fmt.Errorf("deleting alias %q of %q: %w", alias, name, err)
	}
	return nil
}

// unknownAliasRE matches the store's message for an alias that is not set
// (mlflow/store/model_registry/sqlalchemy_store.py, get_model_version_by_alias).
var unknownAliasRE = regexp.MustCompile(`^Registered model alias .* not found\.?$`)

func unknownAliasIsNotFound(err error) error {
	var e *Error
	if errors.As(err, &e) && e.Code == CodeInvalidParameterValue && unknownAliasRE.MatchString(e.Message) {
		nf := *e
		nf.Code = CodeResourceDoesNotExist
		return &nf
	}
	return err
}

// aliasCall makes an alias request unless the server is known to lack the alias routes,
// and remembers when it finds out that it does.
func (c *Client) aliasCall(ctx context.Context, cl *call) error {
	if c.aliasesMissing.Load() {
		return &Error{Method: cl.ep.method, Path: aliasRoutePrefix, StatusCode: http.StatusNotFound, Code: CodeEndpointNotFound}
	}
	err := c.do(ctx, cl)
	if IsEndpointNotFound(err) && !c.aliasesMissing.Swap(true) {
		c.opts.logger.Info("mlflow: server has no alias endpoints; keeping aliases in version tags", "tag_prefix", AliasTagPrefix)
	}
	return err
}

func (c *Client) setAliasTag(ctx context.Context, name, alias, version string) error {
	if _, err := c.GetModelVersion(ctx, name, version); err != nil {
		return err
	}
	holders, err := c.aliasHolders(ctx, name, alias)
	if err != nil {
		return err
	}
	for _, h := range holders {
		if h.Version != version {
			if err := c.DeleteModelVersionTag(ctx, name, h.Version, AliasTagPrefix+alias); err != nil && !IsNotFound(err) {
				return err
			}
		}
	}
	return c.SetModelVersionTag(ctx, name, version, AliasTagPrefix+alias, "true")
}

func (c *Client) getAliasTag(ctx context.Context, name, alias string) (*ModelVersion, error) {
	if _, err := c.GetRegisteredModel(ctx, name); err != nil {
		return nil, err
	}
	holders, err := c.aliasHolders(ctx, name, alias)
	if err != nil {
		return nil, err
	}
	if len(holders) == 0 {
		return nil, &Error{
			Method: http.MethodGet, Path: aliasRoutePrefix, StatusCode: http.StatusNotFound,
			Code:    CodeResourceDoesNotExist,
			Message: fmt.Sprintf("no version of %q has tag %s%s=true (alias fallback)", name, AliasTagPrefix, alias),
		}
	}
	best := holders[0]
	for _, h := range holders[1:] {
		if h.number() > best.number() {
			best = h
		}
	}
	best.Aliases = append(best.Aliases, alias)
	return &best, nil
}

func (c *Client) deleteAliasTag(ctx context.Context, name, alias string) error {
	if _, err := c.GetRegisteredModel(ctx, name); err != nil {
		return err
	}
	holders, err := c.aliasHolders(ctx, name, alias)
	if err != nil {
		return err
	}
	for _, h := range holders {
		if err := c.DeleteModelVersionTag(ctx, name, h.Version, AliasTagPrefix+alias); err != nil && !IsNotFound(err) {
			return err
		}
	}
	return nil
}

// aliasHolders lists the versions of a model that carry the fallback tag of alias. It
// filters on the client: old servers cannot filter model versions on tags.
func (c *Client) aliasHolders(ctx context.Context, name, alias string) ([]ModelVersion, error) {
	versions, err := c.SearchModelVersions(ctx, Search{Filter: "name = " + quote(name)})
	if err != nil {
		return nil, err
	}
	var out []ModelVersion
	for _, v := range versions {
		if val, ok := v.Tag(AliasTagPrefix + alias); ok && val == "true" {
			out = append(out, v)
		}
	}
	return out, nil
}
