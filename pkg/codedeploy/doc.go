// Package codedeploy runs an Amazon ECS blue/green deployment through AWS
// CodeDeploy: it writes the AppSpec for a task definition, creates the
// deployment and waits until CodeDeploy reports it succeeded or failed.
// For ECS services whose deployment controller is CODE_DEPLOY; ferry's own
// blue/green (pkg/traffic with two services) needs no CodeDeploy.
package codedeploy
