package taskdef

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/schemas"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	smithy "github.com/aws/smithy-go"
)

type jsonNumber = json.Number

// ReadOnlyKeys are the keys of a described task definition that ECS sets
// and RegisterTaskDefinition does not accept. [Parse] drops them.
func ReadOnlyKeys() []string {
	return []string{
		"compatibilities", "deleteRequestedAt", "deregisteredAt", "registeredAt",
		"registeredBy", "requiresAttributes", "revision", "status", "taskDefinitionArn",
	}
}

// Parse reads a task definition file in either of two shapes: the output of
// `aws ecs describe-task-definition` ({"taskDefinition": {...}, "tags":
// [...]}) or a RegisterTaskDefinition input ({"family": ..., ...}, as taken
// by `aws ecs register-task-definition --cli-input-json`). Keys use the API's
// camelCase names. The read-only keys listed by [ReadOnlyKeys] are dropped
// and null values are treated as absent. Every unknown key, value of the
// wrong JSON type and unknown enum value is reported at once, each with its
// path (e.g. containerDefinitions[0].portMappings[1].protocl).
func Parse(data []byte) (*ecs.RegisterTaskDefinitionInput, error) {
	m, err := decodeJSON(data)
	if err != nil {
		return nil, fmt.Errorf("parsing task definition: %w", atPosition(data, err))
	}
	reg, err := registerShape(m)
	if err != nil {
		return nil, fmt.Errorf("parsing task definition: %w", err)
	}
	if errs := check(nil, reg, schemas.RegisterTaskDefinitionRequest); len(errs) > 0 {
		return nil, fmt.Errorf("parsing task definition: %w", errors.Join(errs...))
	}
	in, err := fromRegisterMap(reg)
	if err != nil {
		return nil, fmt.Errorf("parsing task definition: %w", err)
	}
	errs := checkEnums(nil, reflect.ValueOf(in).Elem())
	errs = append(errs, checkRequired(in)...)
	if len(errs) > 0 {
		return nil, fmt.Errorf("parsing task definition: %w", errors.Join(errs...))
	}
	return in, nil
}

// atPosition prefixes a JSON decoding error with the line and column (in
// characters, from 1) where it was found: the offending character of a
// syntax or type error, or the end of a truncated document.
func atPosition(data []byte, err error) error {
	var offset int64
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		offset = syntax.Offset
	case errors.As(err, &typ):
		offset = typ.Offset
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, col := lineColumn(data, len(data))
		return fmt.Errorf("line %d, column %d: unexpected end of JSON input", line, col+1)
	default:
		return err
	}
	// Offset counts the bytes read, the offending one included.
	line, col := lineColumn(data, int(min(max(offset, 1), int64(len(data)))))
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}

// lineColumn returns the line (from 1) of data[end-1] or of the end, and
// how many characters of that line data[:end] holds.
func lineColumn(data []byte, end int) (line, col int) {
	head := data[:end]
	start := bytes.LastIndexByte(head, '\n') + 1
	if start == end && end > 0 && data[end-1] == '\n' && end < len(data) {
		// end just past a newline that is not the last byte: that newline
		// is the offending character.
		start = bytes.LastIndexByte(head[:end-1], '\n') + 1
	}
	return bytes.Count(head[:start], []byte{'\n'}) + 1, utf8.RuneCount(head[start:])
}

// checkRequired reports the keys RegisterTaskDefinition cannot do without:
// a family, and containers that each have a name.
func checkRequired(in *ecs.RegisterTaskDefinitionInput) []error {
	var errs []error
	if strings.TrimSpace(aws.ToString(in.Family)) == "" {
		errs = append(errs, errors.New(`"family": want the task definition family, found none`))
	}
	if len(in.ContainerDefinitions) == 0 {
		errs = append(errs, errors.New(`"containerDefinitions": want at least one container, found none`))
	}
	for i, c := range in.ContainerDefinitions {
		if strings.TrimSpace(aws.ToString(c.Name)) == "" {
			errs = append(errs, fmt.Errorf(`"containerDefinitions[%d].name": want the container name, found none`, i))
		}
	}
	return errs
}

// registerShape returns the RegisterTaskDefinition-shaped object of either
// file shape, without read-only keys and null values.
func registerShape(m map[string]any) (map[string]any, error) {
	td := m
	var tags any
	raw, described := m["taskDefinition"]
	if described {
		var unknown []string
		for k := range m {
			if k != "taskDefinition" && k != "tags" {
				unknown = append(unknown, strconv.Quote(k))
			}
		}
		if len(unknown) > 0 {
			slices.Sort(unknown)
			return nil, fmt.Errorf("unknown top-level key(s) %s next to \"taskDefinition\" (want only \"taskDefinition\" and \"tags\")", strings.Join(unknown, ", "))
		}
		var ok bool
		td, ok = raw.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("\"taskDefinition\": want an object, found %s", jsonType(raw))
		}
		tags = m["tags"]
		// Some tools write the tags inside "taskDefinition"; an empty or
		// null list there is no tags.
		if inner, ok := td["tags"]; ok {
			if l, isList := inner.([]any); inner != nil && (!isList || len(l) > 0) {
				if outer, _ := tags.([]any); len(outer) > 0 {
					return nil, errors.New(`"taskDefinition.tags" and "tags" both hold tags: give them in one place`)
				}
				tags = inner
			}
		}
	}
	out := make(map[string]any, len(td)+1)
	for k, v := range td {
		if slices.Contains(ReadOnlyKeys(), k) || described && k == "tags" {
			continue
		}
		out[k] = v
	}
	if tags != nil {
		out["tags"] = tags
	}
	return stripNulls(out).(map[string]any), nil
}

// stripNulls removes null members of objects and null list items.
func stripNulls(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if e == nil {
				delete(v, k)
				continue
			}
			v[k] = stripNulls(e)
		}
	case []any:
		out := v[:0]
		for _, e := range v {
			if e != nil {
				out = append(out, stripNulls(e))
			}
		}
		return out
	}
	return v
}

// check walks v along the SDK schema s and reports unknown keys and values
// of the wrong JSON type.
func check(path []string, v any, s *smithy.Schema) []error {
	where := func() string {
		if len(path) == 0 {
			return "task definition"
		}
		return strconv.Quote(strings.Join(path, ""))
	}
	wrong := func(want string) []error {
		return []error{fmt.Errorf("%s: want %s, found %s", where(), want, jsonType(v))}
	}
	switch s.Type() {
	case smithy.ShapeTypeStructure, smithy.ShapeTypeUnion:
		m, ok := v.(map[string]any)
		if !ok {
			return wrong("an object")
		}
		var errs []error
		for _, k := range sortedKeys(m) {
			p := appendPath(path, k)
			member := s.Member(k)
			if member == nil {
				errs = append(errs, fmt.Errorf("unknown key %q", strings.Join(p, "")))
				continue
			}
			errs = append(errs, check(p, m[k], member)...)
		}
		return errs
	case smithy.ShapeTypeList, smithy.ShapeTypeSet:
		l, ok := v.([]any)
		if !ok {
			return wrong("a list")
		}
		var errs []error
		for i, e := range l {
			errs = append(errs, check(append(slices.Clip(path), "["+strconv.Itoa(i)+"]"), e, s.ListMember())...)
		}
		return errs
	case smithy.ShapeTypeMap:
		m, ok := v.(map[string]any)
		if !ok {
			return wrong("an object")
		}
		var errs []error
		for _, k := range sortedKeys(m) {
			errs = append(errs, check(append(slices.Clip(path), "["+strconv.Quote(k)+"]"), m[k], s.MapValue())...)
		}
		return errs
	case smithy.ShapeTypeString, smithy.ShapeTypeEnum:
		if _, ok := v.(string); !ok {
			return wrong("a string")
		}
	case smithy.ShapeTypeBoolean:
		if _, ok := v.(bool); !ok {
			return wrong("true or false")
		}
	case smithy.ShapeTypeByte, smithy.ShapeTypeShort, smithy.ShapeTypeInteger, smithy.ShapeTypeLong, smithy.ShapeTypeIntEnum:
		n, ok := v.(jsonNumber)
		if !ok {
			return wrong("an integer")
		}
		if _, err := n.Int64(); err != nil {
			return []error{fmt.Errorf("%s: want an integer, found %s", where(), n)}
		}
	case smithy.ShapeTypeFloat, smithy.ShapeTypeDouble:
		if _, ok := v.(jsonNumber); !ok {
			return wrong("a number")
		}
	}
	return nil
}

func appendPath(path []string, key string) []string {
	if len(path) == 0 {
		return []string{key}
	}
	return append(slices.Clip(path), "."+key)
}

// checkEnums reports string-enum fields of the SDK types whose value is not
// one the SDK knows (catching typos such as "FARGAT" or "awsvpcc").
func checkEnums(path []string, v reflect.Value) []error {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return checkEnums(path, v.Elem())
	case reflect.Struct:
		var errs []error
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			name := strings.ToLower(f.Name[:1]) + f.Name[1:]
			errs = append(errs, checkEnums(appendPath(path, name), v.Field(i))...)
		}
		return errs
	case reflect.Slice:
		var errs []error
		for i := range v.Len() {
			errs = append(errs, checkEnums(append(slices.Clip(path), "["+strconv.Itoa(i)+"]"), v.Index(i))...)
		}
		return errs
	case reflect.String:
		values := v.MethodByName("Values")
		if !values.IsValid() || v.String() == "" {
			return nil
		}
		known := values.Call(nil)[0]
		var want []string
		for i := range known.Len() {
			s := known.Index(i).String()
			if s == v.String() {
				return nil
			}
			want = append(want, strconv.Quote(s))
		}
		return []error{fmt.Errorf("%q: want one of %s, found %q", strings.Join(path, ""), strings.Join(want, ", "), v.String())}
	}
	return nil
}

// FromDescribed turns a described task definition and its tags into a
// register input: every field RegisterTaskDefinition accepts is carried
// over, read-only fields (ARN, revision, status, …) are dropped. The result
// shares nested values with td and tags; use [Render] for an independent
// copy.
func FromDescribed(td *types.TaskDefinition, tags []types.Tag) *ecs.RegisterTaskDefinitionInput {
	in := &ecs.RegisterTaskDefinitionInput{}
	if td == nil {
		return in
	}
	dst := reflect.ValueOf(in).Elem()
	src := reflect.ValueOf(td).Elem()
	for i := range dst.NumField() {
		f := dst.Type().Field(i)
		if !f.IsExported() || f.Name == "Tags" {
			continue
		}
		if sf, ok := src.Type().FieldByName(f.Name); ok && sf.Type == f.Type {
			dst.Field(i).Set(src.FieldByIndex(sf.Index))
		}
	}
	if len(tags) > 0 {
		in.Tags = tags
	}
	return in
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return strconv.Quote(v)
	case bool:
		return strconv.FormatBool(v)
	case jsonNumber:
		return v.String()
	}
	return fmt.Sprintf("%T", v)
}

func registerSchema() *smithy.Schema { return schemas.RegisterTaskDefinitionRequest }
