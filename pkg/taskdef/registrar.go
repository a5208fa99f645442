package taskdef

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// api lists the ECS calls this package makes; *ecs.Client satisfies it.
type api interface {
	DescribeTaskDefinition(context.Context, *ecs.DescribeTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
	RegisterTaskDefinition(context.Context, *ecs.RegisterTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error)
}

var _ api = (*ecs.Client)(nil)

// Registrar registers task definitions, reusing the latest revision when it
// already matches. It holds no state of its own and is safe for concurrent
// use.
type Registrar struct {
	api api
	log *slog.Logger
}

// NewRegistrar returns a Registrar calling ECS through api, usually an
// *ecs.Client from github.com/aws/aws-sdk-go-v2/service/ecs. logger
// receives debug records only; nil discards them.
func NewRegistrar(api api, logger *slog.Logger) *Registrar {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Registrar{api: api, log: logger}
}

// Describe resolves ref — a family (its latest ACTIVE revision),
// family:revision or a task definition ARN — to a register input, tags
// included, and returns it with the revision's ARN.
func (r *Registrar) Describe(ctx context.Context, ref string) (*ecs.RegisterTaskDefinitionInput, string, error) {
	if ref == "" {
		return nil, "", errors.New("describing task definition: no family, family:revision or ARN given")
	}
	out, err := r.api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String(ref),
		Include:        []types.TaskDefinitionField{types.TaskDefinitionFieldTags},
	})
	if err != nil {
		return nil, "", fmt.Errorf("describing task definition %q: %w", ref, err)
	}
	if out.TaskDefinition == nil {
		return nil, "", fmt.Errorf("describing task definition %q: the response has no task definition", ref)
	}
	return FromDescribed(out.TaskDefinition, out.Tags), aws.ToString(out.TaskDefinition.TaskDefinitionArn), nil
}

// Register registers rendered as a new revision of its family, unless the
// family's latest ACTIVE revision is [Equal] to it: then that revision's ARN
// is returned with reused true and nothing is registered. A family that
// ECS does not know (a ClientException from DescribeTaskDefinition) simply
// gets its first revision; any other describe error is returned.
func (r *Registrar) Register(ctx context.Context, rendered *ecs.RegisterTaskDefinitionInput) (arn string, reused bool, err error) {
	if rendered == nil || aws.ToString(rendered.Family) == "" {
		return "", false, errors.New("registering task definition: no family")
	}
	family := aws.ToString(rendered.Family)
	latest, latestARN, err := r.Describe(ctx, family)
	var notFound *types.ClientException
	switch {
	case errors.As(err, &notFound):
		r.log.DebugContext(ctx, "no active revision to reuse", "family", family, "reason", notFound.ErrorMessage())
	case err != nil:
		return "", false, fmt.Errorf("registering task definition: %w", err)
	default:
		same, err := Equal(latest, rendered)
		if err != nil {
			return "", false, fmt.Errorf("registering task definition %q: %w", family, err)
		}
		if same {
			r.log.DebugContext(ctx, "reusing the latest revision", "family", family, "arn", latestARN)
			return latestARN, true, nil
		}
		r.log.DebugContext(ctx, "latest revision differs", "family", family, "arn", latestARN)
	}
	out, err := r.api.RegisterTaskDefinition(ctx, rendered)
	if err != nil {
		return "", false, fmt.Errorf("registering task definition %q: %w", family, err)
	}
	if out.TaskDefinition == nil {
		return "", false, fmt.Errorf("registering task definition %q: the response has no task definition", family)
	}
	arn = aws.ToString(out.TaskDefinition.TaskDefinitionArn)
	r.log.DebugContext(ctx, "registered", "family", family, "arn", arn)
	return arn, false, nil
}
