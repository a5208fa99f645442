package commands_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	codedeployapi "github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ferry-ci/ferry/internal/actiontest"
	"github.com/ferry-ci/ferry/internal/elbtest"
	"github.com/ferry-ci/ferry/internal/golden"
	"github.com/ferry-ci/ferry/internal/moto"
	"github.com/ferry-ci/ferry/pkg/traffic"
)

// ecsFixture is a cluster with one awsvpc service running family:1 in moto.
type ecsFixture struct {
	ecs              *awsecs.Client
	cluster, service string
	family           string
}

func newECSFixture(t *testing.T, endpoint string, services ...string) ecsFixture {
	t.Helper()
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider("testing", "testing", "")
	e2 := ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: creds})
	c := awsecs.New(awsecs.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: creds})
	name := strings.ReplaceAll(uniqueRepo("ecs"), "/", "-")
	vpc, err := e2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	subnet, err := e2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.1.1.0/24")})
	if err != nil {
		t.Fatal(err)
	}
	sg, err := e2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String("ferry e2e"), VpcId: vpc.Vpc.VpcId})
	if err != nil {
		t.Fatal(err)
	}
	f := ecsFixture{ecs: c, cluster: name, service: "web", family: name}
	if _, err := c.CreateCluster(ctx, &awsecs.CreateClusterInput{ClusterName: aws.String(f.cluster)}); err != nil {
		t.Fatal(err)
	}
	td, err := c.RegisterTaskDefinition(ctx, &awsecs.RegisterTaskDefinitionInput{
		Family: aws.String(f.family), NetworkMode: ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate}, Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{
			{Name: aws.String("web"), Image: aws.String("public.ecr.aws/nginx/nginx:1.27"), Essential: aws.Bool(true),
				PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080)}}},
			{Name: aws.String("log-router"), Image: aws.String("public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"), Essential: aws.Bool(false)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(services) == 0 {
		services = []string{f.service}
	}
	for _, svc := range services {
		if _, err := c.CreateService(ctx, &awsecs.CreateServiceInput{
			Cluster: aws.String(f.cluster), ServiceName: aws.String(svc), TaskDefinition: td.TaskDefinition.TaskDefinitionArn,
			DesiredCount: aws.Int32(1), LaunchType: ecstypes.LaunchTypeFargate,
			NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
				Subnets: []string{aws.ToString(subnet.Subnet.SubnetId)}, SecurityGroups: []string{aws.ToString(sg.GroupId)},
			}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f ecsFixture) serviceTaskDefinition(t *testing.T, service ...string) string {
	t.Helper()
	name := f.service
	if len(service) > 0 {
		name = service[0]
	}
	out, err := f.ecs.DescribeServices(context.Background(), &awsecs.DescribeServicesInput{Cluster: aws.String(f.cluster), Services: []string{name}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("describing the service: %v", err)
	}
	return aws.ToString(out.Services[0].TaskDefinition)
}

// webImage is the image of the web container in the task definition the
// service runs.
func (f ecsFixture) webImage(t *testing.T, service string) string {
	t.Helper()
	arn := f.serviceTaskDefinition(t, service)
	td, err := f.ecs.DescribeTaskDefinition(context.Background(), &awsecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range td.TaskDefinition.ContainerDefinitions {
		if aws.ToString(c.Name) == "web" {
			return aws.ToString(c.Image)
		}
	}
	t.Fatalf("%s has no web container", arn)
	return ""
}

func (f ecsFixture) revisions(t *testing.T) int {
	t.Helper()
	out, err := f.ecs.ListTaskDefinitions(context.Background(), &awsecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(f.family)})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.TaskDefinitionArns)
}

// TestDeployECSRolling deploys a new image through action.yml, then the same
// again (unchanged: no new revision, no update), against moto.
func TestDeployECSRolling(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	f := newECSFixture(t, endpoint)
	step := actiontest.GitHubStep{
		Action: "deploy-ecs",
		With: map[string]string{
			"cluster": f.cluster, "service": f.service, "desired-count": "1", "timeout": "90s",
			"images":      "web=123456789012.dkr.ecr.us-east-1.amazonaws.com/app/web@sha256:" + strings.Repeat("ab", 32),
			"environment": "web:GREETING=hello, world\nweb:MODE=blue=green",
		},
		Env: trafficEnv(endpoint),
	}
	res := actiontest.RunGitHub(context.Background(), t, step)
	if res.Code != 0 {
		t.Fatalf("exit code: want 0, have %d\n%s", res.Code, res.Stderr)
	}
	if res.Outputs["status"] != "deployed" || !strings.HasSuffix(res.Outputs["task-definition-arn"], "/"+f.family+":2") || !strings.HasSuffix(res.Outputs["previous-task-definition-arn"], "/"+f.family+":1") {
		t.Errorf("outputs: want deployed %s:1 → :2, have %v", f.family, res.Outputs)
	}
	if have := f.serviceTaskDefinition(t); have != res.Outputs["task-definition-arn"] {
		t.Errorf("service runs %s, want %s", have, res.Outputs["task-definition-arn"])
	}
	td, err := f.ecs.DescribeTaskDefinition(context.Background(), &awsecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(res.Outputs["task-definition-arn"])})
	if err != nil {
		t.Fatal(err)
	}
	web := td.TaskDefinition.ContainerDefinitions[0]
	if !strings.HasPrefix(aws.ToString(web.Image), "123456789012.dkr.ecr.us-east-1.amazonaws.com/app/web@sha256:") || len(web.Environment) != 2 {
		t.Errorf("registered web container: want the new image and 2 variables, have %s %+v", aws.ToString(web.Image), web.Environment)
	}
	if sidecar := td.TaskDefinition.ContainerDefinitions[1]; aws.ToString(sidecar.Image) != "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable" {
		t.Errorf("the log-router container changed: %s", aws.ToString(sidecar.Image))
	}
	if !strings.Contains(res.Summary, "| web | "+f.family+":1 → "+f.family+":2 |") || !strings.Contains(res.Summary, "**deployed**") {
		t.Errorf("summary:\n%s", res.Summary)
	}

	// The same again, without desired-count: the rendered definition equals
	// the latest revision, which is reused, and the service already runs it.
	delete(step.With, "desired-count")
	res = actiontest.RunGitHub(context.Background(), t, step)
	if res.Code != 0 || res.Outputs["status"] != "unchanged" {
		t.Errorf("second run: want exit 0 and status unchanged, have %d %v\n%s", res.Code, res.Outputs, res.Stderr)
	}
	if n := f.revisions(t); n != 2 {
		t.Errorf("revisions after an unchanged deploy: want 2, have %d", n)
	}
}

// TestDeployECSDryRunAndFile renders a task definition file against the
// service and prints the diff without registering anything.
func TestDeployECSDryRunAndFile(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	f := newECSFixture(t, endpoint)
	described, err := f.ecs.DescribeTaskDefinition(context.Background(), &awsecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(f.family + ":1")})
	if err != nil {
		t.Fatal(err)
	}
	// The file in the shape `aws ecs describe-task-definition` prints.
	body := map[string]any{"taskDefinition": map[string]any{
		"family": f.family, "networkMode": "awsvpc", "requiresCompatibilities": []string{"FARGATE"}, "cpu": "256", "memory": "512",
		"taskDefinitionArn": aws.ToString(described.TaskDefinition.TaskDefinitionArn), "revision": 1, "status": "ACTIVE",
		"containerDefinitions": []map[string]any{
			{"name": "web", "image": "public.ecr.aws/nginx/nginx:1.27", "essential": true, "portMappings": []map[string]any{{"containerPort": 8080}}},
			{"name": "log-router", "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable", "essential": false},
		},
	}}
	res, _ := dryRunWithFile(t, endpoint, f, body)
	for _, w := range []string{`"image": "public.ecr.aws/nginx/nginx:1.28"`, `-      "image": "public.ecr.aws/nginx/nginx:1.27"`, `+      "image": "public.ecr.aws/nginx/nginx:1.28"`} {
		if !strings.Contains(res.Stderr, w) {
			t.Errorf("log lacks %q:\n%s", w, res.Stderr)
		}
	}
	if n := f.revisions(t); n != 1 {
		t.Errorf("a dry run registered %d revisions", n-1)
	}
	if have := f.serviceTaskDefinition(t); !strings.HasSuffix(have, ":1") {
		t.Errorf("a dry run changed the service to %s", have)
	}
}

// TestDeployECSBlueGreen deploys to the idle green service and shifts the
// listener to it; then, with an alarm firing, deploys again and expects
// the traffic left alone and the idle service rolled back.
func TestDeployECSBlueGreen(t *testing.T) {
	t.Parallel()
	// A private moto whose services always run their desired count, as
	// healthy services on AWS do: the rollback's wait needs a steady state
	// that moto's shared default does not model after a second update.
	endpoint := moto.StartForTest(t, moto.Options{Env: []string{"MOTO_ECS_SERVICE_RUNNING=1"}}).Endpoint
	f := newECSFixture(t, endpoint, "blue", "green")
	lb := elbtest.New(t, endpoint)
	listener := lb.Listeners[0]
	args := func(image string, more ...string) []string {
		return append([]string{"deploy-ecs", "--strategy", "blue-green", "--cluster", f.cluster,
			"--blue-service", "blue", "--green-service", "green", "--listener-arn", listener,
			"--blue-target-group", lb.BlueName, "--green-target-group", lb.GreenName,
			"--images", "web=" + image, "--desired-count", "1", "--traffic-steps", "50,100", "--bake-time", "1s",
			"--alarms", lb.Alarm, "--timeout", "40s", "--output", "json"}, more...)
	}
	res := actiontest.Exec(context.Background(), t, actiontest.Run{Args: args("app:2"), Env: trafficEnv(endpoint)})
	if res.Code != 0 {
		t.Fatalf("exit code: want 0, have %d\n%s", res.Code, res.Stderr)
	}
	var out map[string]string
	if err := json.Unmarshal([]byte(res.Stdout), &out); err != nil || out["status"] != "deployed" {
		t.Fatalf("outputs: want status deployed, have %v (%v)", out, err)
	}
	if have := f.serviceTaskDefinition(t, "green"); have != out["task-definition-arn"] || !strings.HasSuffix(have, ":2") {
		t.Errorf("green runs %s, want the new revision %s", have, out["task-definition-arn"])
	}
	if have := f.serviceTaskDefinition(t, "blue"); !strings.HasSuffix(have, ":1") {
		t.Errorf("blue (live) changed to %s", have)
	}
	if have := lb.Weights(t, listener); have != (traffic.Weights{Blue: 0, Green: 100}) {
		t.Errorf("traffic: want all on green, have %s", have)
	}

	// Now blue is idle. With the alarm firing the traffic must not move and
	// blue must be rolled back to what it ran.
	lb.SetAlarm(t, "ALARM")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	res = actiontest.Exec(ctx, t, actiontest.Run{Args: args("app:3"), Env: trafficEnv(endpoint)})
	if res.Code != 1 {
		t.Errorf("exit code with the alarm firing: want 1, have %d\n%s", res.Code, res.Stderr)
	}
	if err := json.Unmarshal([]byte(res.Stdout), &out); err != nil || out["status"] != "rolled-back" {
		t.Errorf("outputs: want status rolled-back, have %v (%v)", out, err)
	}
	if have := f.serviceTaskDefinition(t, "blue"); !strings.HasSuffix(have, ":1") {
		t.Errorf("blue after the rollback: want revision 1, have %s", have)
	}
	if have := lb.Weights(t, listener); have != (traffic.Weights{Blue: 0, Green: 100}) {
		t.Errorf("traffic after the failed deploy: want still all on green, have %s", have)
	}
	if !strings.Contains(res.Stderr, lb.Alarm) {
		t.Errorf("stderr does not name the alarm:\n%s", res.Stderr)
	}
}

// TestDeployECSCodeDeploy hands the revision to CodeDeploy. moto keeps the
// books only: it records the deployment but never runs it, and its
// GetDeployment answer does not parse (timestamps as strings), so the run
// fails; what is checked is that the deployment was created in our
// application and group with the new revision, and that ferry left the
// service to CodeDeploy. The AppSpec and the waiting are tested against a
// fake in pkg/codedeploy.
func TestDeployECSCodeDeploy(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	f := newECSFixture(t, endpoint)
	ctx := context.Background()
	cdc := codedeployapi.New(codedeployapi.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	app := f.cluster + "-app"
	if _, err := cdc.CreateApplication(ctx, &codedeployapi.CreateApplicationInput{ApplicationName: aws.String(app), ComputePlatform: cdtypes.ComputePlatformEcs}); err != nil {
		t.Fatal(err)
	}
	if _, err := cdc.CreateDeploymentGroup(ctx, &codedeployapi.CreateDeploymentGroupInput{
		ApplicationName: aws.String(app), DeploymentGroupName: aws.String("prod"),
		ServiceRoleArn: aws.String("arn:aws:iam::123456789012:role/codedeploy"),
	}); err != nil {
		t.Fatal(err)
	}
	res := actiontest.Exec(ctx, t, actiontest.Run{
		Args: []string{"deploy-ecs", "--cluster", f.cluster, "--service", f.service, "--images", "web=app:9",
			"--codedeploy-application", app, "--codedeploy-deployment-group", "prod", "--timeout", "4s", "--output", "json"},
		Env: trafficEnv(endpoint),
	})
	var out map[string]string
	if err := json.Unmarshal([]byte(res.Stdout), &out); err != nil {
		t.Fatalf("stdout: %v\n%s\n%s", err, res.Stdout, res.Stderr)
	}
	if res.Code != 1 || out["status"] != "failed" || out["deployment-id"] == "" || !strings.HasSuffix(out["task-definition-arn"], ":2") {
		t.Errorf("want exit 1, status failed, a deployment id and revision 2; have %d %v\n%s", res.Code, out, res.Stderr)
	}
	list, err := cdc.ListDeployments(ctx, &codedeployapi.ListDeploymentsInput{ApplicationName: aws.String(app), DeploymentGroupName: aws.String("prod")})
	if err != nil || len(list.Deployments) != 1 || list.Deployments[0] != out["deployment-id"] {
		t.Errorf("deployments of %s/prod: want [%s], have %v (%v)", app, out["deployment-id"], list, err)
	}
	if have := f.serviceTaskDefinition(t); !strings.HasSuffix(have, ":1") {
		t.Errorf("ferry updated the service itself (%s); CodeDeploy owns it", have)
	}
}

// TestDeployECSSecretNames: secrets given as SSM parameter names (with and
// without the leading slash, as ECS takes them in the task's region) are
// registered as such, next to ARNs.
func TestDeployECSSecretNames(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	f := newECSFixture(t, endpoint)
	const sm = "arn:aws:secretsmanager:us-east-1:123456789012:secret:web/db-AbCdEf"
	res := actiontest.Exec(context.Background(), t, actiontest.Run{
		Args: []string{"deploy-ecs", "--cluster", f.cluster, "--service", f.service, "--timeout", "60s",
			"--desired-count", "1", "--secrets", "web:DB_PASSWORD=/prod/db-password\nweb:API_KEY=api-key\nweb:TOKEN=" + sm},
		Env: trafficEnv(endpoint),
	})
	if res.Code != 0 {
		t.Fatalf("exit code: want 0, have %d\n%s", res.Code, res.Stderr)
	}
	td, err := f.ecs.DescribeTaskDefinition(context.Background(), &awsecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(f.serviceTaskDefinition(t))})
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]string{}
	for _, s := range td.TaskDefinition.ContainerDefinitions[0].Secrets {
		have[aws.ToString(s.Name)] = aws.ToString(s.ValueFrom)
	}
	want := map[string]string{"DB_PASSWORD": "/prod/db-password", "API_KEY": "api-key", "TOKEN": sm}
	if fmt.Sprint(have) != fmt.Sprint(want) {
		t.Errorf("secrets of the web container: want %v, have %v", want, have)
	}
}

// TestDeployECSDryRunDiffAgainstService: with a task definition file, the
// dry run's diff is against what the service runs (family:1, 256 CPU units
// and 512 MiB), not against the file before rendering; the golden summary
// shows the CPU, memory and image changes.
func TestDeployECSDryRunDiffAgainstService(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	f := newECSFixture(t, endpoint)
	body := map[string]any{
		"family": f.family, "networkMode": "awsvpc", "requiresCompatibilities": []string{"FARGATE"}, "cpu": "512", "memory": "1024",
		"enableFaultInjection": false,
		"containerDefinitions": []map[string]any{
			{"name": "web", "image": "public.ecr.aws/nginx/nginx:1.27", "essential": true, "portMappings": []map[string]any{{"containerPort": 8080}}},
			{"name": "log-router", "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable", "essential": false},
		},
	}
	res, summary := dryRunWithFile(t, endpoint, f, body)
	running := f.serviceTaskDefinition(t)
	if w := "diff against " + running + " (what it runs)"; !strings.Contains(res.Stderr, w) {
		t.Errorf("log lacks %q:\n%s", w, res.Stderr)
	}
	have, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "deploy-dry-run-file-summary.md"), []byte(strings.ReplaceAll(string(have), f.family, "FAMILY")))
	if n := f.revisions(t); n != 1 {
		t.Errorf("a dry run registered %d revisions", n-1)
	}
}

// TestDeployECSFileDefaultsAndSyntax: a task definition file giving
// ECS's defaults ("enableFaultInjection": false) deploys once and is
// unchanged the second time (no new revision); a file with a JSON syntax
// error is refused naming its line and column.
func TestDeployECSFileDefaultsAndSyntax(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	f := newECSFixture(t, endpoint)
	file := filepath.Join(t.TempDir(), "taskdef.json")
	body := map[string]any{"taskDefinition": map[string]any{
		"family": f.family, "networkMode": "awsvpc", "requiresCompatibilities": []string{"FARGATE"}, "cpu": "256", "memory": "512",
		"enableFaultInjection": false, "tags": []any{},
		"containerDefinitions": []map[string]any{
			{"name": "web", "image": "public.ecr.aws/nginx/nginx:1.28", "portMappings": []map[string]any{{"containerPort": 8080}}},
			{"name": "log-router", "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable", "essential": false},
		},
	}}
	data, _ := json.MarshalIndent(body, "", "  ")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(more ...string) actiontest.Result {
		with := map[string]string{"cluster": f.cluster, "service": f.service, "task-definition": file, "timeout": "60s"}
		for i := 0; i+1 < len(more); i += 2 {
			with[more[i]] = more[i+1]
		}
		return actiontest.RunGitHub(context.Background(), t, actiontest.GitHubStep{Action: "deploy-ecs", With: with, Env: trafficEnv(endpoint)})
	}
	// The first run sets the desired count: moto's service is stable then.
	for i, want := range []string{"deployed", "unchanged"} {
		res := run([][]string{{"desired-count", "1"}, nil}[i]...)
		if res.Code != 0 || res.Outputs["status"] != want {
			t.Fatalf("run %d: want exit 0 and status %s, have %d %v\n%s", i+1, want, res.Code, res.Outputs, res.Stderr)
		}
	}
	if n := f.revisions(t); n != 2 {
		t.Errorf("revisions after deploying one file twice: want 2, have %d", n)
	}

	if err := os.WriteFile(file, []byte("{\n  \"family\": \"web\",\n  \"cpu\": \"256\",,\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := run()
	if w := `task definition file "taskdef.json": parsing task definition: line 3, column 16: invalid character ','`; res.Code == 0 || !strings.Contains(res.Stderr, w) {
		t.Errorf("syntax error: want a failure containing %q, have %d\n%s", w, res.Code, res.Stderr)
	}
}

// TestDeployECSTwoImagesInSequence: two different images deployed to one
// service one after the other, as a pipeline does. moto keeps the
// deployment the service was created with (family:1) forever, so the
// second rollout (:2 → :3) must be judged done on moto's shape too, not
// wait until the timeout. Without rollback, a hang fails within timeout.
func TestDeployECSTwoImagesInSequence(t *testing.T) {
	t.Parallel()
	endpoint := moto.ForTest(t)
	f := newECSFixture(t, endpoint)
	for i, image := range []string{"public.ecr.aws/nginx/nginx:1.28", "public.ecr.aws/nginx/nginx:1.29"} {
		started := time.Now()
		res := actiontest.RunGitHub(context.Background(), t, actiontest.GitHubStep{
			Action: "deploy-ecs",
			With: map[string]string{"cluster": f.cluster, "service": f.service, "images": "web=" + image,
				"desired-count": "1", "timeout": "30s", "rollback": "false"},
			Env: trafficEnv(endpoint),
		})
		took := time.Since(started)
		if res.Code != 0 || res.Outputs["status"] != "deployed" {
			t.Fatalf("deploy %d (%s): want exit 0 and status deployed, have %d %v after %s\n%s", i+1, image, res.Code, res.Outputs, took.Round(time.Second), res.Stderr)
		}
		if want := fmt.Sprintf("/%s:%d", f.family, i+2); !strings.HasSuffix(res.Outputs["task-definition-arn"], want) {
			t.Errorf("deploy %d: want task definition …%s, have %s", i+1, want, res.Outputs["task-definition-arn"])
		}
		if have := f.webImage(t, f.service); have != image {
			t.Errorf("deploy %d: the service runs %s, want %s", i+1, have, image)
		}
		t.Logf("deploy %d (%s): %s", i+1, image, took.Round(time.Millisecond))
	}
}

// dryRunWithFile writes body as a task-definition file and runs a dry run
// of deploy-ecs with it and the web image moved to nginx 1.28; it returns
// the run and its summary file.
func dryRunWithFile(t *testing.T, endpoint string, f ecsFixture, body any) (actiontest.Result, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "taskdef.json")
	data, _ := json.Marshal(body)
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	summary := filepath.Join(t.TempDir(), "summary.md")
	res := actiontest.Exec(context.Background(), t, actiontest.Run{
		Args: []string{"deploy-ecs", "--cluster", f.cluster, "--service", f.service, "--task-definition", file,
			"--images", "web=public.ecr.aws/nginx/nginx:1.28", "--dry-run"},
		Env: merge(trafficEnv(endpoint), map[string]string{"FERRY_SUMMARY": summary}),
	})
	if res.Code != 0 {
		t.Fatalf("exit code: want 0, have %d\n%s", res.Code, res.Stderr)
	}
	return res, summary
}
