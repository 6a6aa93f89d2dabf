package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pushio/pushio/internal/test/harness"
	"github.com/pushio/pushio/internal/test/need"
	"github.com/pushio/pushio/push"
	"github.com/pushio/pushio/pushapi"
)

func TestMain(m *testing.M) {
	os.Exit(harness.Main(m))
}

// document is docs/openapi.yaml's path from this package.
const document = "../../docs/openapi.yaml"

// TestOpenAPIIsValid: the npm validator accepts the document against the
// OpenAPI 3.1 schema, every $ref resolved.
func TestOpenAPIIsValid(t *testing.T) {
	need.Program(t, "node")
	cli := filepath.Join("node_modules", "@seriousme", "openapi-schema-validator", "bin", "validate-api-cli.js")
	if _, err := os.Stat(cli); err != nil {
		need.Missing(t, "test/openapi/node_modules is not installed: run test/deps.sh (npm ci in test/openapi)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "node", cli, document).CombinedOutput()
	var result struct {
		Valid bool `json:"valid"`
	}
	if jerr := json.Unmarshal(out, &result); err != nil || jerr != nil || !result.Valid {
		t.Fatalf("%s is not a valid OpenAPI document (%v):\n%s", document, err, out)
	}
}

// spec is the part of the document the type check reads.
type spec struct {
	OpenAPI    string `yaml:"openapi"`
	Components struct {
		Schemas map[string]schema `yaml:"schemas"`
	} `yaml:"components"`
}

type schema struct {
	Enum          []string          `yaml:"enum"`
	Const         any               `yaml:"const"`
	Ref           string            `yaml:"$ref"`
	OneOf         []schema          `yaml:"oneOf"`
	AllOf         []schema          `yaml:"allOf"`
	Required      []string          `yaml:"required"`
	Examples      []any             `yaml:"examples"`
	Pattern       string            `yaml:"pattern"`
	Not           *schema           `yaml:"not"`
	Properties    map[string]schema `yaml:"properties"`
	Discriminator struct {
		PropertyName string            `yaml:"propertyName"`
		Mapping      map[string]string `yaml:"mapping"`
	} `yaml:"discriminator"`
}

func readSpec(t *testing.T) spec {
	t.Helper()
	raw, err := os.ReadFile(document)
	if err != nil {
		t.Fatal(err)
	}
	var doc spec
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", document, err)
	}
	return doc
}

// typeOf is the const of a request schema's type property, searched
// through its allOf.
func typeOf(s schema) string {
	if t, ok := s.Properties["type"].Const.(string); ok {
		return t
	}
	for _, part := range s.AllOf {
		if t := typeOf(part); t != "" {
			return t
		}
	}
	return ""
}

// TestOpenAPIDescribesEveryType: the Type enum is pushapi.Types(), and
// Request has one schema per type, mapped by the discriminator, whose
// type property is that type's const: a type added to the server and not
// to the document (or the reverse) fails here.
func TestOpenAPIDescribesEveryType(t *testing.T) {
	doc := readSpec(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("openapi %q, want 3.1.x", doc.OpenAPI)
	}
	schemas := doc.Components.Schemas
	served := pushapi.Types()
	if len(served) == 0 {
		t.Fatal("pushapi.Types() is empty")
	}
	described := slices.Sorted(slices.Values(schemas["Type"].Enum))
	if !slices.Equal(described, served) {
		t.Errorf("components.schemas.Type enum %q, want the types pushapi serves: %q", described, served)
	}

	req := schemas["Request"]
	if req.Discriminator.PropertyName != "type" {
		t.Errorf("Request's discriminator is %q, want type", req.Discriminator.PropertyName)
	}
	var inOneOf []string
	for _, alt := range req.OneOf {
		name := strings.TrimPrefix(alt.Ref, "#/components/schemas/")
		s, ok := schemas[name]
		if !ok {
			t.Errorf("Request oneOf %q: no such schema", alt.Ref)
			continue
		}
		typ := typeOf(s)
		inOneOf = append(inOneOf, typ)
		if got := req.Discriminator.Mapping[typ]; got != alt.Ref {
			t.Errorf("discriminator maps type %q to %q, want %q", typ, got, alt.Ref)
		}
	}
	slices.Sort(inOneOf)
	if !slices.Equal(inOneOf, served) {
		t.Errorf("Request's schemas are of types %q, want %q", inOneOf, served)
	}
	if len(req.Discriminator.Mapping) != len(served) {
		t.Errorf("discriminator maps %d types, want %d", len(req.Discriminator.Mapping), len(served))
	}
}

// TestOpenAPIEventNames: the Event schema's pattern and refused names are
// push's: each name it refuses is one push.CheckEvent refuses as
// reserved, and the pattern takes the names CheckEvent takes.
func TestOpenAPIEventNames(t *testing.T) {
	ev := readSpec(t).Components.Schemas["Event"]
	if ev.Not == nil || len(ev.Not.Enum) == 0 {
		t.Fatal("Event lists no refused names (not: enum)")
	}
	for _, name := range ev.Not.Enum {
		if !push.Reserved(name) {
			t.Errorf("Event refuses %q, which push does not reserve", name)
		}
	}
	pattern, err := regexp.Compile(ev.Pattern)
	if err != nil {
		t.Fatalf("Event pattern %q: %v", ev.Pattern, err)
	}
	for _, name := range []string{"new_msg", "order.paid", "a:b-c", strings.Repeat("x", push.MaxEventBytes),
		"", strings.Repeat("x", push.MaxEventBytes+1), "a b", "é", "a/b", "a\nb"} {
		if got, want := pattern.MatchString(name), !errors.Is(push.CheckEvent(name), push.ErrEventName); got != want {
			t.Errorf("Event pattern takes %q: %v, push.CheckEvent: %v", name, got, want)
		}
	}
}

// answerSchema is where the document describes the JSON answers.
const answerSchema = "/paths/~1/post/responses/200/content/application~1json; charset=utf-8/schema"

// check is one instance answers.js validates against the schema at
// pointer (a JSON pointer into the document).
type check struct {
	Pointer  string `json:"pointer"`
	Instance any    `json:"instance"`
}

// TestOpenAPIExamplesAreServed: every example of every request schema,
// sent to the built binary as a JSON body (Accept: application/json) and
// as a query (plain answers), and every example batch, is served (200,
// not fail, no batch item refused), and the examples and each answer
// validate against the schemas the document gives them (answers.js): the
// fields and answers it describes are the server's.
func TestOpenAPIExamplesAreServed(t *testing.T) {
	doc := readSpec(t)
	p := harness.StartT(t, harness.Binary(), harness.Options{})
	var checks []check
	req := doc.Components.Schemas["Request"]
	for _, alt := range req.OneOf {
		name := strings.TrimPrefix(alt.Ref, "#/components/schemas/")
		examples := doc.Components.Schemas[name].Examples
		if len(examples) == 0 {
			t.Errorf("%s has no example", name)
		}
		for i, example := range examples {
			ex, ok := example.(map[string]any)
			if !ok {
				t.Errorf("%s example %d is not an object of fields", name, i)
				continue
			}
			checks = append(checks, check{"/components/schemas/Request", ex})
			body, err := json.Marshal(ex)
			if err != nil {
				t.Fatal(err)
			}
			a := send(t, http.MethodPost, p.APIURL()+"/", bytes.NewReader(body), true)
			checks = append(checks, a.check(t, fmt.Sprintf("POST %s", body)))
			query := url.Values{}
			for k, v := range ex {
				switch v := v.(type) {
				case []any:
					for _, item := range v {
						query.Add(k+"[]", fmt.Sprint(item))
					}
				default:
					query.Set(k, fmt.Sprint(v))
				}
			}
			a = send(t, http.MethodGet, p.APIURL()+"/?"+query.Encode(), nil, false)
			checks = append(checks, a.check(t, "GET ?"+query.Encode()))
		}
	}
	batches := doc.Components.Schemas["Batch"].Examples
	if len(batches) == 0 {
		t.Error("Batch has no example")
	}
	for i, ex := range batches {
		items, ok := ex.([]any)
		if !ok {
			t.Errorf("Batch example %d is not an array", i)
			continue
		}
		checks = append(checks, check{"/components/schemas/Batch", items})
		body, err := json.Marshal(items)
		if err != nil {
			t.Fatal(err)
		}
		a := send(t, http.MethodPost, p.APIURL()+"/", bytes.NewReader(body), true)
		checks = append(checks, a.check(t, fmt.Sprintf("POST %s", body)))
		var answers []struct {
			Result string `json:"result"`
		}
		if err := json.Unmarshal([]byte(a.body), &answers); err != nil || len(answers) != len(items) {
			t.Errorf("batch example %d answered %q, want %d answers", i, a.body, len(items))
		}
		for j, ans := range answers {
			if ans.Result != "ok" && ans.Result != "offline" {
				t.Errorf("batch example %d, item %d answered %+v", i, j, ans)
			}
		}
	}
	validate(t, checks)
}

// validate runs answers.js on checks; t fails for each that does not
// validate.
func validate(t *testing.T, checks []check) {
	t.Helper()
	need.Program(t, "node")
	if _, err := os.Stat(filepath.Join("node_modules", "ajv", "dist", "2020.js")); err != nil {
		need.Missing(t, "test/openapi/node_modules is not installed: run test/deps.sh (npm ci in test/openapi)")
	}
	cases := filepath.Join(t.TempDir(), "cases.json")
	raw, err := json.Marshal(checks)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cases, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "node", "answers.js", document, cases).Output()
	var result struct {
		Failed []struct {
			I       int             `json:"i"`
			Pointer string          `json:"pointer"`
			Errors  json.RawMessage `json:"errors"`
		} `json:"failed"`
	}
	if jerr := json.Unmarshal(out, &result); jerr != nil {
		t.Fatalf("answers.js: %v %v\n%s", err, jerr, out)
	}
	for _, f := range result.Failed {
		instance, _ := json.Marshal(checks[f.I].Instance)
		t.Errorf("%s does not validate against %s: %s", instance, f.Pointer, f.Errors)
	}
	if err != nil && len(result.Failed) == 0 {
		t.Errorf("answers.js: %v\n%s", err, out)
	}
}

// answer is one HTTP answer.
type answer struct {
	status      int
	contentType string
	body        string
}

// check fails t unless a is served (200, not fail) and returns the check
// of its body against the schema of its kind: JSON, or a plain answer.
func (a answer) check(t *testing.T, what string) check {
	t.Helper()
	if a.status != http.StatusOK || a.body == "fail" {
		t.Errorf("%s: %d %q", what, a.status, a.body)
	}
	if !strings.HasPrefix(a.contentType, "application/json") {
		return check{"/components/schemas/PlainAnswer", a.body}
	}
	var v any
	if err := json.Unmarshal([]byte(a.body), &v); err != nil {
		t.Errorf("%s: %s answer %q: %v", what, a.contentType, a.body, err)
	}
	return check{answerSchema, v}
}

// send makes one request, asking for a JSON answer when asked to.
func send(t *testing.T, method, target string, body io.Reader, wantJSON bool) answer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	if wantJSON {
		r.Header.Set("Accept", "application/json")
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header.Get("Content-Type"), string(b)}
}
