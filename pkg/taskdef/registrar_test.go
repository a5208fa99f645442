//go:build unix

package taskdef

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ferry-ci/ferry/internal/moto"
)

// motoECS returns a real ECS client talking to a (possibly shared) moto
// server in us-east-1.
func motoECS(t *testing.T) *ecs.Client {
	t.Helper()
	endpoint := moto.ForTest(t)
	return ecs.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(endpoint),
	})
}

var notFamilyChars = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// family returns a family name unique to t and to this run: the moto server
// may be shared by every package and by earlier runs.
func family(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	slug := strings.Trim(notFamilyChars.ReplaceAllString(t.Name(), "-"), "-")
	if len(slug) > 200 {
		slug = slug[:200]
	}
	return "ferry-taskdef-" + slug + "-" + hex.EncodeToString(b)
}

// countingAPI passes every call to ECS and counts the registrations.
type countingAPI struct {
	api
	mu        sync.Mutex
	registers int
}

func (c *countingAPI) RegisterTaskDefinition(ctx context.Context, in *ecs.RegisterTaskDefinitionInput, opts ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error) {
	c.mu.Lock()
	c.registers++
	c.mu.Unlock()
	return c.api.RegisterTaskDefinition(ctx, in, opts...)
}

func (c *countingAPI) Registers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.registers
}

func revisions(t *testing.T, client *ecs.Client, fam string) []string {
	t.Helper()
	out, err := client.ListTaskDefinitions(context.Background(), &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(fam)})
	if err != nil {
		t.Fatal(err)
	}
	return out.TaskDefinitionArns
}

func renderedFor(t *testing.T, fam, image string) *ecs.RegisterTaskDefinitionInput {
	t.Helper()
	in := parseFile(t, "register.json")
	in.Family = aws.String(fam)
	out, err := Render(in, Overrides{Images: map[string]string{"web": image}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRegisterReuse(t *testing.T) {
	t.Parallel()
	client := motoECS(t)
	counting := &countingAPI{api: client}
	r := NewRegistrar(counting, nil)
	ctx := context.Background()
	fam := family(t)

	first, reused, err := r.Register(ctx, renderedFor(t, fam, "web:1"))
	if err != nil {
		t.Fatal(err)
	}
	if reused || !strings.HasSuffix(first, ":task-definition/"+fam+":1") {
		t.Fatalf("first Register: have %q, reused %v; want revision 1, not reused", first, reused)
	}

	second, reused, err := r.Register(ctx, renderedFor(t, fam, "web:1"))
	if err != nil {
		t.Fatal(err)
	}
	if !reused || second != first {
		t.Errorf("second Register: have %q, reused %v; want %q reused", second, reused, first)
	}
	if have := counting.Registers(); have != 1 {
		t.Errorf("RegisterTaskDefinition calls: have %d, want 1", have)
	}
	if have := revisions(t, client, fam); len(have) != 1 {
		t.Errorf("revisions: have %q, want one", have)
	}

	third, reused, err := r.Register(ctx, renderedFor(t, fam, "web:2"))
	if err != nil {
		t.Fatal(err)
	}
	if reused || !strings.HasSuffix(third, ":task-definition/"+fam+":2") {
		t.Errorf("Register with a new image: have %q, reused %v; want revision 2, not reused", third, reused)
	}
	if have := revisions(t, client, fam); len(have) != 2 {
		t.Errorf("revisions: have %q, want two", have)
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	client := motoECS(t)
	r := NewRegistrar(client, nil)
	ctx := context.Background()
	fam := family(t)
	arn1, _, err := r.Register(ctx, renderedFor(t, fam, "web:1"))
	if err != nil {
		t.Fatal(err)
	}
	arn2, _, err := r.Register(ctx, renderedFor(t, fam, "web:2"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref, wantARN, wantImage string
	}{
		{fam, arn2, "web:2"},
		{fam + ":1", arn1, "web:1"},
		{arn1, arn1, "web:1"},
		{arn2, arn2, "web:2"},
	}
	for _, tt := range tests {
		in, arn, err := r.Describe(ctx, tt.ref)
		if err != nil {
			t.Errorf("Describe(%q): %v", tt.ref, err)
			continue
		}
		if arn != tt.wantARN {
			t.Errorf("Describe(%q): have ARN %q, want %q", tt.ref, arn, tt.wantARN)
		}
		if have := aws.ToString(in.ContainerDefinitions[0].Image); have != tt.wantImage {
			t.Errorf("Describe(%q): have image %q, want %q", tt.ref, have, tt.wantImage)
		}
	}

	if _, _, err := r.Describe(ctx, fam+"-missing"); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("describing task definition %q", fam+"-missing")) {
		t.Errorf("Describe of a missing family: have %v, want an error naming it", err)
	}
}

func TestDescribeRoundTripReuses(t *testing.T) {
	t.Parallel()
	client := motoECS(t)
	counting := &countingAPI{api: client}
	r := NewRegistrar(counting, nil)
	ctx := context.Background()
	fam := family(t)
	arn, _, err := r.Register(ctx, renderedFor(t, fam, "web:1"))
	if err != nil {
		t.Fatal(err)
	}

	out, err := client.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String(arn),
		Include:        []types.TaskDefinitionField{types.TaskDefinitionFieldTags},
	})
	if err != nil {
		t.Fatal(err)
	}
	again, reused, err := r.Register(ctx, FromDescribed(out.TaskDefinition, out.Tags))
	if err != nil {
		t.Fatal(err)
	}
	if !reused || again != arn {
		t.Errorf("Register(FromDescribed(describe)): have %q, reused %v; want %q reused", again, reused, arn)
	}
	if have := counting.Registers(); have != 1 {
		t.Errorf("RegisterTaskDefinition calls: have %d, want 1", have)
	}
}

// failingAPI fails DescribeTaskDefinition with err and refuses to register.
type failingAPI struct {
	err error
}

func (f failingAPI) DescribeTaskDefinition(context.Context, *ecs.DescribeTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	return nil, f.err
}

func (f failingAPI) RegisterTaskDefinition(context.Context, *ecs.RegisterTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error) {
	return nil, errors.New("unexpected RegisterTaskDefinition call")
}

func TestRegisterDescribeErrorIsNotNotFound(t *testing.T) {
	t.Parallel()
	denied := &types.AccessDeniedException{Message: aws.String("no")}
	r := NewRegistrar(failingAPI{err: denied}, nil)
	_, _, err := r.Register(context.Background(), &ecs.RegisterTaskDefinitionInput{Family: aws.String("web")})
	if !errors.As(err, new(*types.AccessDeniedException)) {
		t.Errorf("have %v, want the AccessDeniedException", err)
	}
}

// A task definition file that gives a value equal to ECS's default, or
// leaves out one that ECS fills in when describing, registers once: the
// second deploy of the same file reuses the revision.
func TestRegisterDefaultsReuse(t *testing.T) {
	t.Parallel()
	client := motoECS(t)
	files := []struct{ name, body string }{
		{"fault injection off", `{"family":"%s","networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],"cpu":"256","memory":"512","enableFaultInjection":false,
			"containerDefinitions":[{"name":"web","image":"nginx","portMappings":[{"containerPort":80}]}]}`},
		{"no network mode", `{"family":"%s","containerDefinitions":[{"name":"web","image":"nginx","memory":128,"portMappings":[{"containerPort":80}]}]}`},
		{"bridge, dynamic host port", `{"family":"%s","networkMode":"bridge","containerDefinitions":[{"name":"web","image":"nginx","memory":128,"cpu":0,"portMappings":[{"containerPort":80,"hostPort":0}]}]}`},
		{"described shape with empty tags inside", `{"taskDefinition":{"family":"%s","networkMode":"bridge","containerDefinitions":[{"name":"web","image":"nginx","memory":128}],"tags":[]}}`},
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			counting := &countingAPI{api: client}
			r := NewRegistrar(counting, nil)
			fam := family(t)
			for i := range 2 {
				in, err := Parse(fmt.Appendf(nil, f.body, fam))
				if err != nil {
					t.Fatal(err)
				}
				if _, _, err := r.Register(t.Context(), in); err != nil {
					t.Fatalf("deploy %d: %v", i+1, err)
				}
			}
			if have := counting.Registers(); have != 1 {
				t.Errorf("RegisterTaskDefinition calls for two deploys of one file: have %d, want 1", have)
			}
		})
	}
}
