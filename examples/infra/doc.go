// Package infra holds ferry's reference infrastructure as a CloudFormation
// template, ferry-reference.yml: a VPC with two public subnets, an ECS
// cluster running the examples/hello service as two Fargate services (blue
// and green) behind one ALB whose listener forwards with weights 100/0, an
// ECR repository, a private S3 bucket served by CloudFront (origin access
// control, an origin path) for examples/site, and a CloudWatch alarm on
// green's 5xx. Its outputs are the inputs of ferry's actions.
//
// The package has no code: its test deploys the template to moto (see
// infra_test.go for what moto 5.2.1 models and what it skips) and checks the
// outputs against the resources and against ferry's traffic switcher.
// `make cfn-lint` lints the template.
package infra
