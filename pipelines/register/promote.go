package register

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/pipelines/lineage"
	"github.com/ferryml/ferry/pipelines/mlflow"
)

// PreviousTagPrefix starts the registered-model tag in which Promote records the version
// an alias held before it moved: "ferry.alias.<alias>.previous" = "<version>".
const PreviousTagPrefix = "ferry.alias."

func previousTag(alias string) string { return PreviousTagPrefix + alias + ".previous" }

// Current returns the version an alias of a model points at, or "" when the alias is not
// set; an error when the model does not exist.
func Current(ctx context.Context, c *mlflow.Client, model, alias string) (string, error) {
	v, err := c.GetModelVersionByAlias(ctx, model, alias)
	if err == nil {
		return v.Version, nil
	}
	if !mlflow.IsNotFound(err) {
		return "", err
	}
	if _, err := c.GetRegisteredModel(ctx, model); err != nil {
		return "", err
	}
	return "", nil
}

// Previous returns the version an alias held before the last Promote moved it, or "" when
// no Promote recorded one: the version to roll back to.
func Previous(ctx context.Context, c *mlflow.Client, model, alias string) (string, error) {
	m, err := c.GetRegisteredModel(ctx, model)
	if err != nil {
		return "", err
	}
	return mlflow.TagMap(m.Tags)[previousTag(alias)], nil
}

// Promote points alias (e.g. "champion") at version, which must be READY, and records the
// version it leaves so that Previous and Rollback find it. Promoting the version the alias
// already holds changes nothing. It returns what Previous then returns. The record is
// written before the alias moves: a failure in between leaves a record naming the version
// the alias still holds, which a rollback would merely confirm.
func Promote(ctx context.Context, c *mlflow.Client, model, alias, version string) (previous string, err error) {
	if err := checkAlias(alias); err != nil {
		return "", fmt.Errorf("promoting %s version %s: %w", model, version, err)
	}
	v, err := c.GetModelVersion(ctx, model, version)
	if err != nil {
		return "", fmt.Errorf("promoting %s version %s: %w", model, version, err)
	}
	if v.Status != mlflow.VersionReady {
		return "", fmt.Errorf("promoting %s version %s: its status is %s, not READY", model, version, v.Status)
	}
	cur, err := Current(ctx, c, model, alias)
	if err != nil {
		return "", fmt.Errorf("promoting %s version %s: reading alias %q: %w", model, version, alias, err)
	}
	if cur == version {
		return Previous(ctx, c, model, alias)
	}
	if cur == "" {
		err = c.DeleteRegisteredModelTag(ctx, model, previousTag(alias))
		if mlflow.IsNotFound(err) {
			err = nil
		}
	} else {
		err = c.SetRegisteredModelTag(ctx, model, previousTag(alias), cur)
	}
	if err != nil {
		return "", fmt.Errorf("promoting %s version %s: recording the previous version: %w", model, version, err)
	}
	if err := c.SetAlias(ctx, model, alias, version); err != nil {
		return "", fmt.Errorf("promoting %s version %s: %w", model, version, err)
	}
	return cur, nil
}

// ErrNoPrevious says that Rollback has no version to go back to.
var ErrNoPrevious = errors.New("no previous version recorded")

// Rollback points alias back at the version Previous names and returns it; the version it
// leaves becomes the new previous one. It fails with ErrNoPrevious when there is none.
func Rollback(ctx context.Context, c *mlflow.Client, model, alias string) (string, error) {
	prev, err := Previous(ctx, c, model, alias)
	if err != nil {
		return "", fmt.Errorf("rolling back alias %q of %s: %w", alias, model, err)
	}
	if prev == "" {
		return "", fmt.Errorf("rolling back alias %q of %s: %w (Promote records one when it moves the alias)", alias, model, ErrNoPrevious)
	}
	if _, err := Promote(ctx, c, model, alias, prev); err != nil {
		return "", fmt.Errorf("rolling back alias %q of %s: %w", alias, model, err)
	}
	return prev, nil
}

// AddVersionTags sets tags on a model version and on the run it came from, so both keep
// the same lineage: a later stage adds lineage.TagServingImageDigest,
// lineage.TagSignatureDigest or lineage.TagSBOMDigest this way. Lineage tags are checked
// with lineage.ValidateTag before anything is written, and the tags that make up the
// lineage key (lineage.KeyTags), the run id and the version number cannot be changed.
func AddVersionTags(ctx context.Context, c *mlflow.Client, model, version string, tags map[string]string) error {
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		switch {
		case slices.Contains(lineage.KeyTags(), k):
			errs = append(errs, fmt.Errorf("tag %s is part of the lineage key, set at registration: register the new inputs instead", k))
		case k == lineage.TagMLflowRunID || k == lineage.TagMLflowVersion:
			errs = append(errs, fmt.Errorf("tag %s is set by Register and names this version's own run and number", k))
		case strings.HasPrefix(k, lineage.Prefix):
			errs = append(errs, lineage.ValidateTag(k, tags[k]))
		default:
			if key, err := mlflowKey(k); err != nil || key != k || k == "" {
				errs = append(errs, fmt.Errorf("tag %q is not a key MLflow accepts: use letters, digits and _ - . / : or space, at most %d bytes", k, maxKeyLength))
			}
		}
		if len(tags[k]) > maxTagValue {
			errs = append(errs, fmt.Errorf("tag %s: value of %d bytes is over MLflow's %d-byte run tag limit", k, len(tags[k]), maxTagValue))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("tagging %s version %s (nothing was written): %w", model, version, err)
	}
	v, err := c.GetModelVersion(ctx, model, version)
	if err != nil {
		return fmt.Errorf("tagging %s version %s: %w", model, version, err)
	}
	for _, t := range mlflow.Tags(tags) {
		if err := c.SetModelVersionTag(ctx, model, version, t.Key, t.Value); err != nil {
			return fmt.Errorf("tagging %s version %s: %w", model, version, err)
		}
	}
	if v.RunID == "" {
		return nil
	}
	if err := c.SetRunTags(ctx, v.RunID, mlflow.Tags(tags)...); err != nil {
		return fmt.Errorf("tagging run %s of %s version %s: %w", v.RunID, model, version, err)
	}
	return nil
}

// quote renders s as a string literal for an MLflow filter expression.
func quote(s string) string {
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
}

// number is a version as an integer, for ordering; 0 when it is not one.
func number(version string) int64 {
	n, _ := strconv.ParseInt(version, 10, 64)
	return n
}
