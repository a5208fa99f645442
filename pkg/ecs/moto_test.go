//go:build unix

package ecs_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ferry-ci/ferry/internal/moto"
	"github.com/ferry-ci/ferry/pkg/ecs"
)

// motoService is an awsvpc Fargate service in moto running revision 1 of
// its family, with revision 2 registered.
type motoService struct {
	client     *awsecs.Client
	cluster    string
	name       string
	rev1, rev2 string
}

func newMotoService(t *testing.T, endpoint string) motoService {
	t.Helper()
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(endpoint),
	}
	ec2c, client := ec2.NewFromConfig(cfg), awsecs.NewFromConfig(cfg)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	prefix := "ecs-" + hex.EncodeToString(b)

	vpc, err := ec2c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16")})
	if err != nil {
		t.Fatalf("CreateVpc: %v", err)
	}
	var subnets []string
	for i, az := range []string{"us-east-1a", "us-east-1b"} {
		sn, err := ec2c.CreateSubnet(ctx, &ec2.CreateSubnetInput{
			VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String([]string{"10.1.1.0/24", "10.1.2.0/24"}[i]), AvailabilityZone: aws.String(az),
		})
		if err != nil {
			t.Fatalf("CreateSubnet: %v", err)
		}
		subnets = append(subnets, aws.ToString(sn.Subnet.SubnetId))
	}
	sg, err := ec2c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String(prefix), Description: aws.String("ferry pkg/ecs test"), VpcId: vpc.Vpc.VpcId,
	})
	if err != nil {
		t.Fatalf("CreateSecurityGroup: %v", err)
	}
	s := motoService{client: client, cluster: prefix, name: prefix + "-web"}
	if _, err := client.CreateCluster(ctx, &awsecs.CreateClusterInput{ClusterName: aws.String(s.cluster)}); err != nil {
		t.Fatalf("CreateCluster: %v", err)
	}
	register := func(image string) string {
		out, err := client.RegisterTaskDefinition(ctx, &awsecs.RegisterTaskDefinitionInput{
			Family:                  aws.String(prefix),
			NetworkMode:             types.NetworkModeAwsvpc,
			RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
			Cpu:                     aws.String("256"), Memory: aws.String("512"),
			ContainerDefinitions: []types.ContainerDefinition{{
				Name: aws.String("app"), Image: aws.String(image), Essential: aws.Bool(true),
				PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}},
			}},
		})
		if err != nil {
			t.Fatalf("RegisterTaskDefinition: %v", err)
		}
		return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
	}
	s.rev1, s.rev2 = register("example.com/app:1"), register("example.com/app:2")
	_, err = client.CreateService(ctx, &awsecs.CreateServiceInput{
		Cluster: aws.String(s.cluster), ServiceName: aws.String(s.name), TaskDefinition: aws.String(s.rev1),
		DesiredCount: aws.Int32(2), LaunchType: types.LaunchTypeFargate,
		NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
			Subnets: subnets, SecurityGroups: []string{aws.ToString(sg.GroupId)},
		}},
	})
	if err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	return s
}

// On moto, UpdateService keeps the single deployment of the old revision:
// Deploy must still finish, on a shared server (counts stable only because
// the desired count is set) and on one with MOTO_ECS_SERVICE_RUNNING=2
// (the deployment reads COMPLETED).
func TestDeployMoto(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		endpoint func(t *testing.T) string
	}{
		{"shared", func(t *testing.T) string { return moto.ForTest(t) }},
		{"running=2", func(t *testing.T) string {
			return moto.StartForTest(t, moto.Options{Env: []string{"MOTO_ECS_SERVICE_RUNNING=2"}}).Endpoint
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newMotoService(t, tt.endpoint(t))
			d := ecs.New(s.client, ecs.Config{PollMin: 10 * time.Millisecond, PollMax: 50 * time.Millisecond})
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			outs, err := d.Deploy(ctx, []ecs.Service{{Cluster: s.cluster, Name: s.name, TaskDefinition: s.rev2, DesiredCount: aws.Int32(3)}},
				ecs.Options{Wait: true, Rollback: true})
			if err != nil {
				t.Fatalf("Deploy: %v", err)
			}
			o := outs[0]
			if o.Status != ecs.StatusDeployed || o.Previous != s.rev1 || o.Deployed != s.rev2 {
				t.Errorf("outcome: want deployed %s from %s, have %q %s from %s", s.rev2, s.rev1, o.Status, o.Deployed, o.Previous)
			}
			svc, err := s.client.DescribeServices(ctx, &awsecs.DescribeServicesInput{Cluster: aws.String(s.cluster), Services: []string{s.name}})
			if err != nil {
				t.Fatal(err)
			}
			if have := aws.ToString(svc.Services[0].TaskDefinition); have != s.rev2 {
				t.Errorf("service task definition: want %s, have %s", s.rev2, have)
			}
			if have := svc.Services[0].DesiredCount; have != 3 {
				t.Errorf("desired count: want 3, have %d", have)
			}
		})
	}
}

// On moto the creation-time deployment stays forever, naming revision 1:
// a second deploy (2 → 3) must finish as quickly as the first (1 → 2), and
// so must a third back to 2 (a rollback's shape), not wait for a primary
// deployment that never names the previous revision.
func TestDeployMotoInSequence(t *testing.T) {
	t.Parallel()
	s := newMotoService(t, moto.ForTest(t))
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	out, err := s.client.RegisterTaskDefinition(ctx, &awsecs.RegisterTaskDefinitionInput{
		Family: aws.String(s.cluster), NetworkMode: types.NetworkModeAwsvpc, RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("example.com/app:3"), Essential: aws.Bool(true)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	rev3 := aws.ToString(out.TaskDefinition.TaskDefinitionArn)
	d := ecs.New(s.client, ecs.Config{PollMin: 10 * time.Millisecond, PollMax: 50 * time.Millisecond})
	prev := s.rev1
	for i, target := range []string{s.rev2, rev3, s.rev2} {
		// Each deploy gets 5 s: a hang would otherwise last until the deadline.
		dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
		started := time.Now()
		outs, err := d.Deploy(dctx, []ecs.Service{{Cluster: s.cluster, Name: s.name, TaskDefinition: target, DesiredCount: aws.Int32(2)}},
			ecs.Options{Wait: true, Rollback: false})
		dcancel()
		if err != nil {
			t.Fatalf("deploy %d (%s → %s): %v", i+1, prev, target, err)
		}
		if o := outs[0]; o.Status != ecs.StatusDeployed || o.Previous != prev || o.Deployed != target {
			t.Errorf("deploy %d: want deployed %s from %s, have %q %s from %s", i+1, target, prev, o.Status, o.Deployed, o.Previous)
		}
		t.Logf("deploy %d (%s → %s): %s", i+1, prev, target, time.Since(started).Round(time.Millisecond))
		prev = target
	}
}
