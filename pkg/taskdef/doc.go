// Package taskdef is the task definition side of deploy-ecs: it reads a
// task definition file, renders it with new images, environment variables
// and secrets, compares it with what ECS has, and registers it only when it
// changed.
//
// Task definitions are the SDK's own types
// (*ecs.RegisterTaskDefinitionInput from
// github.com/aws/aws-sdk-go-v2/service/ecs); nothing is hand-modelled. The
// JSON form is the ECS API's (camelCase names): [Parse] reads it through
// the SDK's schema-based deserializer, after checking every key and value
// type against the SDK's schema, so typos are errors that name their path.
// [Canonical] writes it through the SDK's serializer, with sorted keys and
// empty values omitted, for golden files, dry runs and comparison.
//
// [ParseImages], [ParseEnvironment] and [ParseSecrets] parse the
// line-oriented overrides of the action's inputs; [Render] applies them to
// a deep copy. [Equal] and [Diff] compare two definitions, allowing for the
// defaults ECS fills in when describing one.
//
// A [Registrar] talks to ECS through a narrow, unexported interface that
// *ecs.Client satisfies: [Registrar.Describe] resolves a family,
// family:revision or ARN, and [Registrar.Register] reuses the family's
// latest ACTIVE revision when it equals the rendered one instead of adding
// a revision.
//
// The package is quiet: it prints nothing and logs only debug records to an
// optional *slog.Logger. It knows nothing about CI platforms.
package taskdef
