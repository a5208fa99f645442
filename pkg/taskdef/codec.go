package taskdef

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/schemas"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	smithy "github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
)

// The JSON form of a task definition is the ECS wire format (awsJson1_1).
// Rather than hand-modelling it, this file drives the SDK's own
// schema-based protocol: the SDK serializer writes a RegisterTaskDefinition
// request body, and the SDK deserializer reads a DescribeTaskDefinition
// response body. Both therefore follow the SDK's schemas exactly, nested
// enums, maps and all.

func protocol() *awsjson.Protocol {
	return awsjson.New11(schemas.AmazonEC2ContainerServiceV20141113)
}

// encode returns the request body the SDK sends for RegisterTaskDefinition.
func encode(in *ecs.RegisterTaskDefinitionInput) ([]byte, error) {
	op := smithy.NewOperationSchema(schemas.RegisterTaskDefinition, schemas.RegisterTaskDefinitionRequest, schemas.RegisterTaskDefinitionResponse)
	req := smithyhttp.NewStackRequest().(*smithyhttp.Request)
	if err := protocol().SerializeRequest(context.Background(), op, in, req); err != nil {
		return nil, fmt.Errorf("encoding task definition: %w", err)
	}
	stream := req.GetStream()
	if stream == nil {
		return []byte("{}"), nil
	}
	b, err := io.ReadAll(stream)
	if err != nil {
		return nil, fmt.Errorf("encoding task definition: %w", err)
	}
	return b, nil
}

// decodeDescribed reads a DescribeTaskDefinition response body with the
// SDK's deserializer.
func decodeDescribed(body []byte) (*ecs.DescribeTaskDefinitionOutput, error) {
	op := smithy.NewOperationSchema(schemas.DescribeTaskDefinition, schemas.DescribeTaskDefinitionRequest, schemas.DescribeTaskDefinitionResponse)
	resp := &smithyhttp.Response{Response: &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{},
		Body:       io.NopCloser(bytes.NewReader(body)),
	}}
	out := &ecs.DescribeTaskDefinitionOutput{}
	if err := protocol().DeserializeResponse(context.Background(), op, ecs.TypeRegistry, resp, out); err != nil {
		return nil, err
	}
	return out, nil
}

// fromRegisterMap turns a checked register-shaped JSON object into a
// register input through the SDK deserializer.
func fromRegisterMap(m map[string]any) (*ecs.RegisterTaskDefinitionInput, error) {
	td := make(map[string]any, len(m))
	for k, v := range m {
		if k != "tags" {
			td[k] = v
		}
	}
	body := map[string]any{"taskDefinition": td}
	if tags, ok := m["tags"]; ok {
		body["tags"] = tags
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	out, err := decodeDescribed(b)
	if err != nil {
		return nil, err
	}
	if out.TaskDefinition == nil {
		out.TaskDefinition = new(types.TaskDefinition)
	}
	return FromDescribed(out.TaskDefinition, out.Tags), nil
}

// toMap returns the wire form of in as a generic JSON value.
func toMap(in *ecs.RegisterTaskDefinitionInput) (map[string]any, error) {
	b, err := encode(in)
	if err != nil {
		return nil, err
	}
	return decodeJSON(b)
}

// decodeJSON decodes one JSON object, keeping numbers exact.
func decodeJSON(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("unexpected data after the JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("unexpected data after the JSON object")
	}
	if m == nil {
		return nil, fmt.Errorf("want a JSON object, found null")
	}
	return m, nil
}

// clone deep-copies in through its wire form.
func clone(in *ecs.RegisterTaskDefinitionInput) (*ecs.RegisterTaskDefinitionInput, error) {
	m, err := toMap(in)
	if err != nil {
		return nil, err
	}
	out, err := fromRegisterMap(m)
	if err != nil {
		return nil, fmt.Errorf("copying task definition: %w", err)
	}
	return out, nil
}
