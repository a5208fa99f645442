package taskdef

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ferry-ci/ferry/internal/golden"
)

// goldenFile compares have with testdata/name (-update rewrites it).
func goldenFile(t *testing.T, name string, have []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), have)
}

func lineDiff(want, have string) string {
	return unified("want", "have", splitLines(want), splitLines(have), 3)
}

func parseFile(t *testing.T, name string) *ecs.RegisterTaskDefinitionInput {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	in, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return in
}

func canonical(t *testing.T, in *ecs.RegisterTaskDefinitionInput) []byte {
	t.Helper()
	b, err := Canonical(in)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseShapes(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"described.json", "register.json"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := parseFile(t, name)
			if have, want := aws.ToString(in.Family), "web"; have != want {
				t.Errorf("family: have %q, want %q", have, want)
			}
			if have := len(in.ContainerDefinitions); have != 2 {
				t.Fatalf("containers: have %d, want 2", have)
			}
			web := in.ContainerDefinitions[0]
			if have, want := web.LogConfiguration.LogDriver, types.LogDriverAwslogs; have != want {
				t.Errorf("log driver: have %q, want %q", have, want)
			}
			if have, want := web.LogConfiguration.Options["awslogs-group"], "/ecs/web"; have != want {
				t.Errorf("awslogs-group: have %q, want %q", have, want)
			}
			if have, want := aws.ToInt32(web.HealthCheck.StartPeriod), int32(10); have != want {
				t.Errorf("healthCheck.startPeriod: have %d, want %d", have, want)
			}
			if have, want := aws.ToString(web.Secrets[0].ValueFrom), "arn:aws:secretsmanager:eu-west-1:123456789012:secret:web/db-AbCdEf"; have != want {
				t.Errorf("secret: have %q, want %q", have, want)
			}
			if have, want := web.PortMappings[0].AppProtocol, types.ApplicationProtocolHttp; have != want {
				t.Errorf("appProtocol: have %q, want %q", have, want)
			}
			if have, want := in.RuntimePlatform.CpuArchitecture, types.CPUArchitectureArm64; have != want {
				t.Errorf("cpuArchitecture: have %q, want %q", have, want)
			}
			if len(in.Tags) != 1 || aws.ToString(in.Tags[0].Key) != "team" {
				t.Errorf("tags: have %+v, want team=payments", in.Tags)
			}
			c := string(canonical(t, in))
			for _, ro := range ReadOnlyKeys() {
				if strings.Contains(c, `"`+ro+`"`) {
					t.Errorf("canonical output keeps read-only key %q", ro)
				}
			}
			goldenFile(t, strings.TrimSuffix(name, ".json")+".golden.json", []byte(c))
		})
	}
}

// Tags inside "taskDefinition" (as some tools write the described shape)
// are the task definition's tags; an empty list is no tags.
func TestParseTagsInsideTaskDefinition(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     []string // key=value
	}{
		{"empty inside", `{"taskDefinition":{"family":"web","containerDefinitions":[{"name":"web","image":"nginx"}],"tags":[]}}`, nil},
		{"empty inside, some next to it", `{"taskDefinition":{"family":"web","containerDefinitions":[{"name":"web","image":"nginx"}],"tags":[]},"tags":[{"key":"team","value":"a"}]}`, []string{"team=a"}},
		{"some inside", `{"taskDefinition":{"family":"web","containerDefinitions":[{"name":"web","image":"nginx"}],"tags":[{"key":"team","value":"a"}]},"tags":[]}`, []string{"team=a"}},
		{"null inside", `{"taskDefinition":{"family":"web","containerDefinitions":[{"name":"web","image":"nginx"}],"tags":null}}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			var have []string
			for _, tag := range in.Tags {
				have = append(have, aws.ToString(tag.Key)+"="+aws.ToString(tag.Value))
			}
			if !slices.Equal(have, tt.want) {
				t.Errorf("tags: have %q, want %q", have, tt.want)
			}
		})
	}
}

func TestParseBothShapesEqual(t *testing.T) {
	t.Parallel()
	described, register := parseFile(t, "described.json"), parseFile(t, "register.json")
	same, err := Equal(described, register)
	if err != nil {
		t.Fatal(err)
	}
	if !same {
		d, _ := Diff(described, register)
		t.Errorf("described and register shapes differ:\n%s", d)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	typos, err := os.ReadFile("testdata/typos.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   string
		want []string // substrings of the error
	}{
		{"typos", string(typos), []string{
			`unknown key "cpuu"`,
			`unknown key "containerDefinitions[0].imagee"`,
			`unknown key "containerDefinitions[0].portMappings[0].protocl"`,
			`"containerDefinitions[0].memory": want an integer, found "512"`,
		}},
		{"bad enums", `{"family":"web","networkMode":"awsvpcc","requiresCompatibilities":["FARGAT"],"containerDefinitions":[{"name":"web","image":"nginx","portMappings":[{"containerPort":80,"protocol":"TCP"}]}]}`, []string{
			`"networkMode": want one of`, `found "awsvpcc"`,
			`"requiresCompatibilities[0]": want one of`, `found "FARGAT"`,
			`"containerDefinitions[0].portMappings[0].protocol": want one of "tcp", "udp", found "TCP"`,
		}},
		{"wrong case key", `{"Family":"web"}`, []string{`unknown key "Family"`}},
		{"described with extra top-level key", `{"taskDefinition":{"family":"web"},"tagz":[]}`, []string{`"tagz"`}},
		{"taskDefinition not an object", `{"taskDefinition":[]}`, []string{`"taskDefinition": want an object, found a list`}},
		{"not JSON", `{"family":`, []string{"parsing task definition"}},
		{"syntax error names line and column", "{\n  \"family\": \"web\",\n  \"cpu\": \"256\",,\n}", []string{"line 3, column 16: invalid character ',' looking for beginning of object key string"}},
		{"syntax error after multi-byte text", "{\"family\": \"wéb\"\n \"cpu\"}", []string{"line 2, column 2: invalid character '\"' after object key:value pair"}},
		{"truncated file names its end", "{\n  \"family\": \"web\",\n", []string{"line 3, column 1: unexpected end of JSON input"}},
		{"tags inside and next to taskDefinition", `{"taskDefinition":{"family":"web","containerDefinitions":[{"name":"web","image":"nginx"}],"tags":[{"key":"a","value":"1"}]},"tags":[{"key":"b","value":"2"}]}`,
			[]string{`"taskDefinition.tags" and "tags" both hold tags`}},
		{"trailing data", `{"family":"web"} {}`, []string{"unexpected data"}},
		{"wrong type in map", `{"family":"web","containerDefinitions":[{"name":"web","dockerLabels":{"a":1}}]}`, []string{`"containerDefinitions[0].dockerLabels[\"a\"]": want a string, found 1`}},
		{"empty object", `{}`, []string{`"family": want the task definition family, found none`, `"containerDefinitions": want at least one container, found none`}},
		{"container without name", `{"family":"web","containerDefinitions":[{"image":"nginx"}]}`, []string{`"containerDefinitions[0].name": want the container name`}},
		{"float for integer", `{"family":"web","containerDefinitions":[{"name":"web","memory":1.5}]}`, []string{`want an integer, found 1.5`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("Parse: have no error, want one containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Parse error:\nhave %v\nwant it to contain %s", err, w)
				}
			}
		})
	}
}

func TestParseNullsAndReadOnly(t *testing.T) {
	t.Parallel()
	in, err := Parse([]byte(`{"family":"web","revision":3,"status":"INACTIVE","taskRoleArn":null,"containerDefinitions":[{"name":"web","image":"nginx","environment":null}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if in.TaskRoleArn != nil || in.ContainerDefinitions[0].Environment != nil {
		t.Errorf("nulls: have %+v, want them absent", in)
	}
}

func TestFromDescribedCopiesEveryRegisterField(t *testing.T) {
	t.Parallel()
	// Every field of the register input but Tags must exist on
	// types.TaskDefinition, or FromDescribed would silently drop it.
	td := &types.TaskDefinition{
		Family: aws.String("f"), Cpu: aws.String("256"), Memory: aws.String("512"),
		NetworkMode: types.NetworkModeAwsvpc, IpcMode: types.IpcModeTask, PidMode: types.PidModeTask,
		ExecutionRoleArn: aws.String("e"), TaskRoleArn: aws.String("t"), EnableFaultInjection: aws.Bool(true),
		EphemeralStorage:        &types.EphemeralStorage{SizeInGiB: 30},
		ContainerDefinitions:    []types.ContainerDefinition{{Name: aws.String("c")}},
		InferenceAccelerators:   []types.InferenceAccelerator{{DeviceName: aws.String("d")}}, //lint:ignore SA1019 FromDescribed must still carry it over
		PlacementConstraints:    []types.TaskDefinitionPlacementConstraint{{Type: types.TaskDefinitionPlacementConstraintTypeMemberOf}},
		ProxyConfiguration:      &types.ProxyConfiguration{ContainerName: aws.String("c")},
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		RuntimePlatform:         &types.RuntimePlatform{CpuArchitecture: types.CPUArchitectureX8664},
		Volumes:                 []types.Volume{{Name: aws.String("v")}},
		Revision:                4, Status: types.TaskDefinitionStatusActive, TaskDefinitionArn: aws.String("arn"),
	}
	in := FromDescribed(td, []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}})
	c := string(canonical(t, in))
	for _, key := range schemaMembers() {
		if !strings.Contains(c, `"`+key+`"`) {
			t.Errorf("FromDescribed dropped %q:\n%s", key, c)
		}
	}
}

func schemaMembers() []string {
	var out []string
	for k := range registerSchema().Members() {
		out = append(out, k)
	}
	return out
}

func TestLineParsers(t *testing.T) {
	t.Parallel()
	images := []struct {
		name    string
		in      []string
		want    map[string]string
		wantErr []string
	}{
		{"ok", []string{"web=nginx:1.27", "", "  sidecar = repo/side@sha256:abc  "}, map[string]string{"web": "nginx:1.27", "sidecar": "repo/side@sha256:abc"}, nil},
		{"no equals", []string{"web"}, nil, []string{`line 1: "web": want container=image, found no "="`}},
		{"empty image", []string{"web="}, nil, []string{`line 1: "web=": want an image`}},
		{"empty container", []string{"=nginx"}, nil, []string{`line 1: "=nginx": want a container name`}},
		{"bad container", []string{"we b=nginx"}, nil, []string{`found "we b"`}},
		{"duplicate", []string{"web=a", "web=b"}, nil, []string{`line 2: "web=b": container "web" is given more than once`}},
		{"every bad line", []string{"web", "ok=x", "web="}, nil, []string{"line 1:", "line 3:"}},
	}
	for _, tt := range images {
		t.Run("images/"+tt.name, func(t *testing.T) {
			t.Parallel()
			have, err := ParseImages(tt.in)
			checkParse(t, have, err, tt.want, tt.wantErr)
		})
	}
	env := []struct {
		name    string
		in      []string
		want    map[string]map[string]string
		wantErr []string
	}{
		{"ok", []string{"web:URL=postgres://u:p@h:5432/db?a=b", "web:EMPTY=", "worker:X=1"}, map[string]map[string]string{
			"web": {"URL": "postgres://u:p@h:5432/db?a=b", "EMPTY": ""}, "worker": {"X": "1"}}, nil},
		{"no colon", []string{"web"}, nil, []string{`line 1: "web": want container:KEY=VALUE, found no ":"`}},
		{"no equals", []string{"web:KEY"}, nil, []string{`found no "=" after the container`}},
		{"empty container", []string{":KEY=V"}, nil, []string{`line 1: ":KEY=V": want a container name`}},
		{"empty key", []string{"web:=V"}, nil, []string{`line 1: "web:=V": want a variable name`}},
		{"duplicate", []string{"web:A=1", "web:A=2"}, nil, []string{`line 2: "web:A=2": web:A is given more than once`}},
		{"every bad line", []string{":K=V", "web:=V", "web:OK=1", "web"}, nil, []string{"line 1:", "line 2:", "line 4:"}},
	}
	for _, tt := range env {
		t.Run("environment/"+tt.name, func(t *testing.T) {
			t.Parallel()
			have, err := ParseEnvironment(tt.in)
			checkParse(t, have, err, tt.want, tt.wantErr)
		})
	}
	const sm = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:web/db-AbCdEf:password::"
	const ssm = "arn:aws:ssm:eu-west-1:123456789012:parameter/web/api-key"
	secrets := []struct {
		name    string
		in      []string
		want    map[string]map[string]string
		wantErr []string
	}{
		{"ok", []string{"web:DB=" + sm, "web:API_KEY=" + ssm, "web:GOV=arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/p"}, map[string]map[string]string{
			"web": {"DB": sm, "API_KEY": ssm, "GOV": "arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/p"}}, nil},
		{"SSM parameter names", []string{"web:DB=/prod/db-password", "web:PLAIN=plain", "web:NESTED=prod/api_key.v2", "web:REF=/aws/reference/secretsmanager/db"}, map[string]map[string]string{
			"web": {"DB": "/prod/db-password", "PLAIN": "plain", "NESTED": "prod/api_key.v2", "REF": "/aws/reference/secretsmanager/db"}}, nil},
		{"other service", []string{"web:DB=arn:aws:s3:::bucket/key"}, nil, []string{`want a Secrets Manager or SSM parameter ARN, or an SSM parameter name (/path/name), after "=", found "arn:aws:s3:::bucket/key"`}},
		{"space in a name", []string{"web:DB=prod db"}, nil, []string{`found "prod db"`}},
		{"empty path level", []string{"web:DB=/prod//db"}, nil, []string{`found "/prod//db"`}},
		{"trailing slash", []string{"web:DB=/prod/"}, nil, []string{`found "/prod/"`}},
		{"other characters", []string{"web:DB=$(cat /etc/passwd)"}, nil, []string{`found "$(cat /etc/passwd)"`}},
		{"too long", []string{"web:DB=/" + strings.Repeat("a", 2048)}, nil, []string{"found a name of 2049 characters (at most 2048)"}},
		{"empty", []string{"web:DB="}, nil, []string{`found nothing`}},
		{"empty key", []string{"web:=" + ssm}, nil, []string{"want a variable name"}},
		{"no colon", []string{"web"}, nil, []string{`found no ":"`}},
	}
	for _, tt := range secrets {
		t.Run("secrets/"+tt.name, func(t *testing.T) {
			t.Parallel()
			have, err := ParseSecrets(tt.in)
			checkParse(t, have, err, tt.want, tt.wantErr)
		})
	}
}

func checkParse[M any](t *testing.T, have M, err error, want M, wantErr []string) {
	t.Helper()
	if len(wantErr) > 0 {
		if err == nil {
			t.Fatalf("have no error, want one containing %q", wantErr)
		}
		for _, w := range wantErr {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error:\nhave %v\nwant it to contain %s", err, w)
			}
		}
		return
	}
	if err != nil {
		t.Fatalf("have error %v, want none", err)
	}
	if h, w := mustJSON(t, have), mustJSON(t, want); h != w {
		t.Errorf("have %s, want %s", h, w)
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	in := parseFile(t, "register.json")
	before := string(canonical(t, in))
	out, err := Render(in, Overrides{
		Images: map[string]string{"web": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		Environment: map[string]map[string]string{
			"web":        {"LOG_LEVEL": "debug", "RELEASE": "v1.5.0", "DATABASE_URL": "postgres://local"},
			"log-router": {"FLB_LOG_LEVEL": "warn"},
		},
		Secrets: map[string]map[string]string{
			"web": {"API_KEY": "arn:aws:ssm:eu-west-1:123456789012:parameter/web/api-key", "PORT": "arn:aws:ssm:eu-west-1:123456789012:parameter/web/port"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if after := string(canonical(t, in)); after != before {
		t.Errorf("Render changed its input:\n%s", lineDiff(before, after))
	}
	goldenFile(t, "render.golden.json", canonical(t, out))

	// Render with no overrides is a copy that sorts env and secrets.
	same, err := Render(in, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if eq, err := Equal(same, in); err != nil || !eq {
		t.Errorf("Render without overrides: Equal = %v, %v; want true", eq, err)
	}
	same.ContainerDefinitions[0].Environment[0].Value = aws.String("changed")
	if in.ContainerDefinitions[0].Environment[0].Value == same.ContainerDefinitions[0].Environment[0].Value {
		t.Error("Render shares the environment with its input")
	}
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	in := parseFile(t, "register.json")
	tests := []struct {
		name    string
		o       Overrides
		unknown bool
		want    []string
	}{
		{"unknown image container", Overrides{Images: map[string]string{"api": "x"}}, true,
			[]string{`unknown container "api": task definition "web" has "web", "log-router"`}},
		{"unknown env and secret containers", Overrides{
			Environment: map[string]map[string]string{"worker": {"A": "1"}},
			Secrets:     map[string]map[string]string{"cron": {"B": "arn:aws:ssm:eu-west-1:1:parameter/b"}}}, true,
			[]string{`unknown container "cron"`, `unknown container "worker"`}},
		{"env and secret of the same name", Overrides{
			Environment: map[string]map[string]string{"web": {"A": "1"}},
			Secrets:     map[string]map[string]string{"web": {"A": "arn:aws:ssm:eu-west-1:1:parameter/a"}}}, false,
			[]string{`container "web": "A" is set both as an environment variable and as a secret`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Render(in, tt.o)
			if err == nil {
				t.Fatal("have no error, want one")
			}
			if have := errors.Is(err, ErrUnknownContainer); have != tt.unknown {
				t.Errorf("errors.Is(err, ErrUnknownContainer): have %v, want %v (%v)", have, tt.unknown, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error:\nhave %v\nwant it to contain %s", err, w)
				}
			}
		})
	}
}

func TestEqualDefaults(t *testing.T) {
	t.Parallel()
	base := func() *ecs.RegisterTaskDefinitionInput {
		return &ecs.RegisterTaskDefinitionInput{
			Family: aws.String("f"), NetworkMode: types.NetworkModeAwsvpc, Cpu: aws.String("1 vCPU"), Memory: aws.String("2 GB"),
			ContainerDefinitions: []types.ContainerDefinition{{
				Name: aws.String("web"), Image: aws.String("nginx"),
				PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(80)}},
				HealthCheck:  &types.HealthCheck{Command: []string{"CMD", "true"}},
				Environment:  []types.KeyValuePair{{Name: aws.String("B"), Value: aws.String("2")}, {Name: aws.String("A"), Value: aws.String("1")}},
			}},
		}
	}
	described := base()
	described.Cpu, described.Memory = aws.String("1024"), aws.String("2048")
	c := &described.ContainerDefinitions[0]
	c.Essential = aws.Bool(true)
	c.PortMappings[0].HostPort, c.PortMappings[0].Protocol = aws.Int32(80), types.TransportProtocolTcp
	c.HealthCheck.Interval, c.HealthCheck.Timeout, c.HealthCheck.Retries = aws.Int32(30), aws.Int32(5), aws.Int32(3)
	c.Environment[0], c.Environment[1] = c.Environment[1], c.Environment[0]
	c.MountPoints, c.VolumesFrom = []types.MountPoint{}, []types.VolumeFrom{}
	described.Volumes = []types.Volume{}

	tests := []struct {
		name   string
		change func(*ecs.RegisterTaskDefinitionInput)
		equal  bool
		diff   []string
	}{
		{"defaults filled in by describe", func(*ecs.RegisterTaskDefinitionInput) {}, true, nil},
		{"image", func(in *ecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions[0].Image = aws.String("nginx:2") }, false,
			[]string{`-      "image": "nginx",`, `+      "image": "nginx:2",`}},
		{"not essential", func(in *ecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions[0].Essential = aws.Bool(false) }, false,
			[]string{`+      "essential": false,`}},
		{"bridge host port is not defaulted", func(in *ecs.RegisterTaskDefinitionInput) { in.NetworkMode = types.NetworkModeBridge }, false,
			[]string{`-          "hostPort": 80,`, `+  "networkMode": "bridge"`}},
		{"fault injection off is ECS's default", func(in *ecs.RegisterTaskDefinitionInput) { in.EnableFaultInjection = aws.Bool(false) }, true, nil},
		{"fault injection on", func(in *ecs.RegisterTaskDefinitionInput) { in.EnableFaultInjection = aws.Bool(true) }, false,
			[]string{`+  "enableFaultInjection": true,`}},
		{"env value", func(in *ecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions[0].Environment[0].Value = aws.String("x")
		}, false, []string{`-          "value": "2"`, `+          "value": "x"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := base()
			tt.change(b)
			eq, err := Equal(described, b)
			if err != nil {
				t.Fatal(err)
			}
			d, err := Diff(described, b)
			if err != nil {
				t.Fatal(err)
			}
			if eq != tt.equal || (d == "") != tt.equal {
				t.Fatalf("Equal: have %v, want %v; diff:\n%s", eq, tt.equal, d)
			}
			for _, w := range tt.diff {
				if !strings.Contains(d, w+"\n") {
					t.Errorf("diff:\n%s\nwant it to contain the line %s", d, w)
				}
			}
		})
	}
}

// The defaults that depend on the network mode: none given is bridge, and
// in bridge mode a host port of 0 (dynamic) is no host port.
func TestEqualNetworkModeDefaults(t *testing.T) {
	t.Parallel()
	td := func(mode types.NetworkMode, hostPort *int32, faultInjection *bool) *ecs.RegisterTaskDefinitionInput {
		return &ecs.RegisterTaskDefinitionInput{
			Family: aws.String("f"), NetworkMode: mode, EnableFaultInjection: faultInjection,
			ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("web"), Image: aws.String("nginx"), Memory: aws.Int32(128),
				PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(80), HostPort: hostPort}}}},
		}
	}
	tests := []struct {
		name  string
		a, b  *ecs.RegisterTaskDefinitionInput
		equal bool
	}{
		{"none is bridge", td("", nil, nil), td(types.NetworkModeBridge, nil, aws.Bool(false)), true},
		{"bridge host port 0 is dynamic", td(types.NetworkModeBridge, aws.Int32(0), nil), td("", nil, nil), true},
		{"bridge host port 8080 is not", td(types.NetworkModeBridge, aws.Int32(8080), nil), td("", nil, nil), false},
		{"none is not awsvpc", td("", nil, nil), td(types.NetworkModeAwsvpc, nil, nil), false},
		{"none is not host", td("", nil, nil), td(types.NetworkModeHost, nil, nil), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, pair := range [][2]*ecs.RegisterTaskDefinitionInput{{tt.a, tt.b}, {tt.b, tt.a}} {
				eq, err := Equal(pair[0], pair[1])
				if err != nil {
					t.Fatal(err)
				}
				if eq != tt.equal {
					d, _ := Diff(pair[0], pair[1])
					t.Errorf("Equal: have %v, want %v; diff:\n%s", eq, tt.equal, d)
				}
			}
		})
	}
}

func TestUnifiedDiff(t *testing.T) {
	t.Parallel()
	a := splitLines("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n")
	b := splitLines("1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n")
	want := "--- a\n+++ b\n@@ -1,6 +1,6 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n@@ -10,3 +10,4 @@\n 10\n 11\n 12\n+13\n"
	if have := unified("a", "b", a, b, 3); have != want {
		t.Errorf("have\n%s\nwant\n%s", have, want)
	}
}
