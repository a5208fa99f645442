package ecs

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestDeployCancelled: the caller cancels while both rollouts are waited
// for. Nothing is rolled back — every time, not as a race with the
// rollback's own cancellation — and each service's error says it stays on
// its new task definition.
func TestDeployCancelled(t *testing.T) {
	t.Parallel()
	for range 20 {
		f := newFake(t)
		f.addService("c", "web", web1, 2)
		f.addService("c", "api", api1, 2)
		f.behaviours = map[string]behaviour{web2: {Result: never}, api2: {Result: never}}
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(20*time.Millisecond, cancel)
		outs, err := New(f, f.config()).Deploy(ctx, []Service{
			{Cluster: "c", Name: "web", TaskDefinition: web2},
			{Cluster: "c", Name: "api", TaskDefinition: api2},
		}, Options{Wait: true, Rollback: true})
		cancel()
		if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrNotRolledBack) {
			t.Fatalf("want an error wrapping context.Canceled and ErrNotRolledBack, have %v", err)
		}
		if ups := f.updateList(); len(ups) != 2 {
			t.Fatalf("UpdateService calls: want the 2 updates and no rollback, have %+v", ups)
		}
		for _, o := range outs {
			if o.Status != StatusFailed || !strings.Contains(o.Err.Error(), "stays on task definition "+`"`+o.Deployed+`"`) {
				t.Errorf("service %s: want failed, staying on %s; have %s: %v", o.Service, o.Deployed, o.Status, o.Err)
			}
		}
	}
}
