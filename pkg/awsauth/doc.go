// Package awsauth turns the AWS inputs every ferry action shares into an
// aws.Config: region, retries, endpoint override, user agent and credentials.
//
// Credentials come from one of three places, picked by [Options]:
//
//   - RoleToAssume empty: the SDK's default chain as is (environment
//     variables, shared config and credentials files, container and instance
//     roles), or Options.Credentials when the caller already holds some.
//   - RoleToAssume set and a WebIdentity token source given: the role is
//     assumed with sts:AssumeRoleWithWebIdentity and an OIDC token, the way
//     GitHub Actions (permissions: id-token: write) and GitLab (id_tokens)
//     federate into AWS. No base credentials are needed.
//   - RoleToAssume set with RoleChaining, or without a token source: the
//     role is assumed with sts:AssumeRole using the default-chain
//     credentials. AWS limits a chained role session to one hour.
//
// [Load] retrieves the credentials once before it returns, so a missing
// credential or a refused role shows up at the start of an action, before
// anything changes. Assumed-role credentials are cached and refreshed by the
// SDK; every refresh reports the new secrets through Options.OnSecret so the
// caller can mask them in its log.
//
// The package is quiet: it prints nothing and logs only through the optional
// *slog.Logger in Options. It knows nothing about CI platforms; the caller
// decides where a web identity token comes from.
package awsauth
