package codedeploy_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ferry-ci/ferry/pkg/codedeploy"
)

// TestRequestFor picks the load-balanced container and port from the task
// definition when the request leaves them empty.
func TestRequestFor(t *testing.T) {
	t.Parallel()
	port := func(p int32) []ecstypes.PortMapping { return []ecstypes.PortMapping{{ContainerPort: aws.Int32(p)}} }
	td := &awsecs.RegisterTaskDefinitionInput{ContainerDefinitions: []ecstypes.ContainerDefinition{
		{Name: aws.String("init"), Essential: aws.Bool(false), PortMappings: port(9000)},
		{Name: aws.String("log-router")},
		{Name: aws.String("web"), PortMappings: port(8080)},
		{Name: aws.String("admin"), PortMappings: port(8081)},
	}}
	tests := []struct {
		name     string
		in       codedeploy.Request
		td       *awsecs.RegisterTaskDefinitionInput
		want     string
		wantPort int32
	}{
		{"first essential with a port", codedeploy.Request{}, td, "web", 8080},
		{"named container, its port", codedeploy.Request{Container: "admin"}, td, "admin", 8081},
		{"named container and port kept", codedeploy.Request{Container: "admin", ContainerPort: 443}, td, "admin", 443},
		{"unknown container, no port", codedeploy.Request{Container: "api"}, td, "api", 0},
		{"no task definition", codedeploy.Request{Container: "web"}, nil, "web", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			have := tt.in.For(tt.td)
			if have.Container != tt.want || have.ContainerPort != tt.wantPort {
				t.Errorf("want %s:%d, have %s:%d", tt.want, tt.wantPort, have.Container, have.ContainerPort)
			}
		})
	}
}
