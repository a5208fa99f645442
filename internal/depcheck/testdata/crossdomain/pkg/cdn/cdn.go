// Package cdn is a fixture: a domain package that reaches into another
// domain (cdn → ecs) that the allowlist does not name.
package cdn

import "example.com/crossdomain/pkg/ecs"

// Service names the fixture's cross-domain use.
var _ = ecs.Service
