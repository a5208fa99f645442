// Package faultproxy is a reverse proxy for tests that stands between ferry
// and moto_server or a registry, injects faults — by rate with a seed, or
// by a script that sees each call — and records every call's service and
// action.
//
// Faults come in each protocol's own shape, so the SDK's retryer treats
// them as it would AWS's: ThrottlingException for the JSON protocols (ECS,
// ECR, CodeDeploy), Throttling for query and REST-XML services (ELBv2,
// CloudWatch, STS, CloudFront), SlowDown for S3, TOOMANYREQUESTS for the
// registry; 500 and 503 likewise; and TCP resets before the call reaches
// the upstream ([Reset]) or after it was applied ([ResetAfter]).
//
// Calls are named as IAM names actions ("ecs:UpdateService",
// "s3:PutObject", registry requests as the ECR actions they need), so a
// test can compare them with an action's documented policy, and
// [Call.Mutating] tells the writes from the reads.
package faultproxy
