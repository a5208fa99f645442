package cfn

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"go.yaml.in/yaml/v3"
)

// templateParam is what ferry needs of a template's parameter to compare
// the stack's values with those asked for.
type templateParam struct {
	Default    *string // nil: no default (or one ferry cannot read, e.g. a list)
	NoEcho     bool    // the stack shows "****": no comparing
	hasDefault bool
}

// templateParams reads the Parameters section of a YAML or JSON template
// (YAML's short-form tags such as !Ref are kept as nodes, not resolved).
func templateParams(body string) (map[string]templateParam, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(body), &doc); err != nil {
		return nil, fmt.Errorf("parsing the template: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("parsing the template: expected a mapping at the top")
	}
	params := mapValue(doc.Content[0], "Parameters")
	out := map[string]templateParam{}
	if params == nil || params.Kind != yaml.MappingNode {
		return out, nil
	}
	for i := 0; i+1 < len(params.Content); i += 2 {
		name, def := params.Content[i].Value, params.Content[i+1]
		var p templateParam
		if d := mapValue(def, "Default"); d != nil {
			p.hasDefault = true
			if d.Kind == yaml.ScalarNode {
				v := d.Value
				p.Default = &v
			}
		}
		if n := mapValue(def, "NoEcho"); n != nil && strings.EqualFold(n.Value, "true") {
			p.NoEcho = true
		}
		out[name] = p
	}
	return out, nil
}

// mapValue is the value of key in mapping node m, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// sameTemplate tells whether the deployed template (GetTemplate, stage
// Original) is the one asked for: the same text, or the same JSON document
// (CloudFormation may return a JSON template reformatted).
func sameTemplate(deployed, body string) bool {
	if deployed == body || strings.TrimSpace(deployed) == strings.TrimSpace(body) {
		return true
	}
	var a, b any
	if json.Unmarshal([]byte(deployed), &a) != nil || json.Unmarshal([]byte(body), &b) != nil {
		return false
	}
	return reflect.DeepEqual(a, b)
}

// samePolicy compares two stack policies as JSON documents.
func samePolicy(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	return reflect.DeepEqual(x, y)
}

// uploadTemplate puts the template in the bucket under a key named by its
// content (a rerun writes the same object) and returns its URL.
func (d *Deployer) uploadTemplate(ctx context.Context, bucket, stack, body string) (string, error) {
	if d.s3 == nil {
		return "", fmt.Errorf("uploading the template to bucket %q: no S3 client", bucket)
	}
	sum := sha256.Sum256([]byte(body))
	key := fmt.Sprintf("ferry/%s/%s.template", stack, hex.EncodeToString(sum[:]))
	if _, err := d.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader([]byte(body)),
		ContentLength: aws.Int64(int64(len(body))),
	}); err != nil {
		return "", fmt.Errorf("uploading the template to s3://%s/%s: %w", bucket, key, err)
	}
	region := d.c.Region
	if region == "" {
		region = "us-east-1"
	}
	url := fmt.Sprintf("https://%s.s3.%s.amazonaws.com/%s", bucket, region, key)
	d.log.Info("template uploaded", "bytes", len(body), "url", url)
	return url, nil
}
