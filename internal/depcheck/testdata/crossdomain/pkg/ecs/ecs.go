// Package ecs is a fixture: it imports traffic, an allowed edge, and the
// runtime, a forbidden one.
package ecs

import (
	"example.com/crossdomain/pkg/action"
	"example.com/crossdomain/pkg/traffic"
)

// Service is used by the fixture's cdn.
const Service = traffic.Weight + action.Name
