package ecs

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ferry-ci/ferry/pkg/codedeploy"
	"github.com/ferry-ci/ferry/pkg/taskdef"
)

// fakeRegistry describes one task definition (web1's) and registers
// anything as web2. It records what it registered.
type fakeRegistry struct {
	t          *testing.T
	registered []*awsecs.RegisterTaskDefinitionInput
}

func (r *fakeRegistry) Describe(_ context.Context, ref string) (*awsecs.RegisterTaskDefinitionInput, string, error) {
	if ref != web1 {
		r.t.Errorf("unexpected Describe(%q)", ref)
		return nil, "", errors.New("unexpected Describe")
	}
	return &awsecs.RegisterTaskDefinitionInput{Family: aws.String("web"), ContainerDefinitions: []types.ContainerDefinition{
		{Name: aws.String("sidecar"), Image: aws.String("envoy:1")},
		{Name: aws.String("web"), Image: aws.String("app:1"), PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}}},
	}}, web1, nil
}

func (r *fakeRegistry) Register(_ context.Context, td *awsecs.RegisterTaskDefinitionInput) (string, bool, error) {
	r.registered = append(r.registered, td)
	return web2, false, nil
}

// fakeCodeDeploy records the request and succeeds.
type fakeCodeDeploy struct{ requests []codedeploy.Request }

func (c *fakeCodeDeploy) Deploy(_ context.Context, r codedeploy.Request) (codedeploy.Result, error) {
	c.requests = append(c.requests, r)
	return codedeploy.Result{DeploymentID: "d-1"}, nil
}

// TestRun carries out one plan per strategy and checks what each phase
// did: which phases ran, what was registered, where the revision went.
func TestRun(t *testing.T) {
	t.Parallel()
	app2 := taskdef.Overrides{Images: map[string]string{"web": "app:2"}}
	tests := []struct {
		name       string
		plan       Plan
		wantErr    func(error) bool
		wantPhases []string
		wantStatus Status
		wantCD     *codedeploy.Request // the CodeDeploy request, if any
		registers  int
	}{
		{
			name:       "rolling",
			plan:       Plan{Strategy: Rolling, Cluster: "c", Services: []string{"web"}, Overrides: app2, Options: Options{Wait: true}},
			wantPhases: []string{"Task definitions", "Register", "Deploy web"},
			wantStatus: StatusDeployed, registers: 1,
		},
		{
			name:       "dry run changes nothing",
			plan:       Plan{Strategy: Rolling, Cluster: "c", Services: []string{"web"}, Overrides: app2, DryRun: true},
			wantPhases: []string{"Task definitions"},
		},
		{
			name:       "unknown container",
			plan:       Plan{Strategy: Rolling, Cluster: "c", Services: []string{"web"}, Overrides: taskdef.Overrides{Images: map[string]string{"api": "app:2"}}},
			wantErr:    func(err error) bool { return errors.Is(err, taskdef.ErrUnknownContainer) },
			wantPhases: []string{"Task definitions"},
		},
		{
			name:       "CodeDeploy picks the load-balanced container",
			plan:       Plan{Strategy: CodeDeploy, Cluster: "c", Services: []string{"web"}, Overrides: app2, CodeDeploy: codedeploy.Request{Application: "app", DeploymentGroup: "prod"}},
			wantPhases: []string{"Task definitions", "Register", "CodeDeploy app/prod"},
			wantStatus: StatusDeployed, registers: 1,
			wantCD: &codedeploy.Request{Application: "app", DeploymentGroup: "prod", TaskDefinition: web2, Container: "web", ContainerPort: 8080, Description: "ferry deploy-ecs web:2"},
		},
		{
			name: "CodeDeploy container without a port",
			plan: Plan{Strategy: CodeDeploy, Cluster: "c", Services: []string{"web"}, CodeDeploy: codedeploy.Request{Application: "app", DeploymentGroup: "prod", Container: "sidecar"}},
			wantErr: func(err error) bool {
				var target *CodeDeployTargetError
				return errors.As(err, &target)
			},
			wantPhases: []string{"Task definitions", "Register"}, registers: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			f.addService("c", "web", web1, 2)
			f.behaviours[web2] = behaviour{Result: complete}
			reg, cd := &fakeRegistry{t: t}, &fakeCodeDeploy{}
			var phases []string
			env := Env{Registry: reg, CodeDeploy: cd, Phase: func(title string) func() {
				phases = append(phases, title)
				return func() {}
			}}
			rep, err := New(f, f.config()).Run(t.Context(), tt.plan, env)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("want no error, have %v", err)
			case tt.wantErr != nil && !tt.wantErr(err):
				t.Fatalf("want the error of %s, have %v", tt.name, err)
			}
			if !slices.Equal(phases, tt.wantPhases) {
				t.Errorf("phases: want %q, have %q", tt.wantPhases, phases)
			}
			if len(reg.registered) != tt.registers {
				t.Errorf("registered: want %d, have %d", tt.registers, len(reg.registered))
			}
			var status Status
			if len(rep.Outcomes) > 0 {
				status = rep.Outcomes[0].Status
			}
			if status != tt.wantStatus {
				t.Errorf("status: want %q, have %q", tt.wantStatus, status)
			}
			if tt.plan.DryRun && (len(rep.Rendered) != 1 || rep.Rendered[0].Running == nil || f.count("UpdateService") != 0) {
				t.Errorf("dry run: want one render with what runs and no update, have %+v", rep.Rendered)
			}
			switch {
			case tt.wantCD == nil && len(cd.requests) > 0:
				t.Errorf("want no CodeDeploy deployment, have %+v", cd.requests)
			case tt.wantCD != nil && (len(cd.requests) != 1 || cd.requests[0] != *tt.wantCD):
				t.Errorf("CodeDeploy: want %+v, have %+v", *tt.wantCD, cd.requests)
			}
		})
	}
}
