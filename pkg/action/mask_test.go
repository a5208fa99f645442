package action_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ferry-ci/ferry/pkg/action"
)

// leak logs secret every way an action could: the logger (message and
// attribute), the raw log writer, a group title, the summary and the error
// given to Finish.
func leak(t *testing.T, s started, secret string) int {
	t.Helper()
	rt := s.rt
	rt.Logger().Info("calling the API with "+secret, "token", secret, "header", "Bearer "+secret)
	rt.Logger().Warn("quoted", "token", fmt.Sprintf("%q", secret))
	fmt.Fprintf(rt.Log(), "raw line with %s in it\n", secret)
	end := rt.Group("group " + secret)
	end()
	if err := rt.Summary("summary " + secret); err != nil {
		t.Fatal(err)
	}
	return s.finish(fmt.Errorf("calling the API with token %q: %s rejected", secret, secret))
}

func TestSecretInputMasked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		secret    string
		wantMasks []string // ::add-mask:: values that must be there (GitHub only)
	}{
		{"one line", "s3cr3t-T0ken-value", []string{"s3cr3t-T0ken-value"}},
		{"multi-line", "-----BEGIN KEY-----\nAbCdEf0123456789\n-----END KEY-----", []string{"-----BEGIN KEY-----", "AbCdEf0123456789", "-----END KEY-----"}},
		{"quote and backslash", `pa"ss\w0rd-42`, []string{`pa"ss\w0rd-42`}},
		{"percent and colon", "p%0Ass::w0rd", []string{"p%250Ass::w0rd"}},
	}
	platforms := []struct {
		name string
		env  map[string]string
	}{
		{"github", githubEnv("INPUT_TOKEN", "SECRET", "GITHUB_STEP_SUMMARY", "SUMMARY")},
		{"gitlab", gitlabEnv("FERRY_TOKEN", "SECRET", "FERRY_SUMMARY", "SUMMARY")},
		{"cli flag", cliEnv("FERRY_SUMMARY", "SUMMARY")},
		{"cli env", cliEnv("FERRY_TOKEN", "SECRET", "FERRY_SUMMARY", "SUMMARY")},
	}
	for _, tt := range tests {
		for _, p := range platforms {
			t.Run(tt.name+"/"+p.name, func(t *testing.T) {
				t.Parallel()
				summary := tempPath(t, "summary.md")
				env := withEnv(p.env)
				for k, v := range env {
					switch v {
					case "SECRET":
						env[k] = tt.secret
					case "SUMMARY":
						env[k] = summary
					}
				}
				args := []string{"--cluster", "c"}
				if p.name == "cli flag" {
					args = append(args, "--token", tt.secret)
				}
				s := start(t, demoSpec(), run{args: args, env: env})
				if have := s.rt.Inputs().String("token"); have != tt.secret {
					t.Fatalf("token: want %q, have %q", tt.secret, have)
				}
				if code := leak(t, s, tt.secret); code != action.ExitFailure {
					t.Errorf("exit code: want 1, have %d", code)
				}
				checkMasked(t, s, summary, tt.secret, p.name == "github", tt.wantMasks)
			})
		}
	}
}

// checkMasked checks that no line of secret reaches stdout, stderr or the
// summary other than in ::add-mask:: commands, which are on GitHub only.
func checkMasked(t *testing.T, s started, summary, secret string, github bool, wantMasks []string) {
	t.Helper()
	stderr := s.stderr.String()
	haveMasks := masks(stderr)
	if !github && len(haveMasks) > 0 {
		t.Errorf("::add-mask:: off GitHub: %q", haveMasks)
	}
	for _, m := range wantMasks {
		if github && !slices.Contains(haveMasks, m) {
			t.Errorf("want ::add-mask::%s, have %q", m, haveMasks)
		}
	}
	log := s.stdout.String() + withoutMasks(stderr) + readFile(t, summary)
	for _, part := range append(strings.Split(secret, "\n"), secret, strings.Trim(fmt.Sprintf("%q", secret), `"`)) {
		if strings.Contains(log, part) {
			t.Errorf("%q reached the log:\n%s", part, log)
		}
	}
	if !strings.Contains(log, "***") {
		t.Errorf("want *** where the secret was, have:\n%s", log)
	}
}

func TestMaskAtRunTime(t *testing.T) {
	t.Parallel()
	for _, p := range []struct {
		name string
		env  map[string]string
	}{
		{"github", githubEnv("GITHUB_STEP_SUMMARY", "SUMMARY")},
		{"gitlab", gitlabEnv("FERRY_SUMMARY", "SUMMARY")},
		{"cli", cliEnv("FERRY_SUMMARY", "SUMMARY")},
	} {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			summary := tempPath(t, "summary.md")
			env := withEnv(p.env)
			for k, v := range env {
				if v == "SUMMARY" {
					env[k] = summary
				}
			}
			s := start(t, demoSpec(), run{args: []string{"--cluster", "c"}, env: env})
			const token = "ghs_R0tatingSessionT0ken"
			s.rt.Mask(token)
			s.rt.Mask(token) // twice: one ::add-mask:: only
			s.rt.Mask("   ")
			if have := s.rt.Redact("x " + token + " y"); have != "x *** y" {
				t.Errorf("Redact: want %q, have %q", "x *** y", have)
			}
			leak(t, s, token)
			var want []string
			if p.name == "github" {
				want = []string{token}
				if n := strings.Count(s.stderr.String(), "::add-mask::"+token+"\n"); n != 1 {
					t.Errorf("::add-mask:: for the token: want once, have %d", n)
				}
				if have, want := slices.Sorted(slices.Values(masks(s.stderr.String()))), encodedForms(token); !slices.Equal(have, want) {
					t.Errorf("::add-mask:: commands: want the token and its encoded forms once each (blank ones ignored)\nwant %q\nhave %q", want, have)
				}
			}
			checkMasked(t, s, summary, token, p.name == "github", want)
		})
	}
}

func TestMaskBeforeLogging(t *testing.T) {
	t.Parallel()
	// The mask command must come before the value is first used, and the
	// secret must go out in every ::add-mask:: even though the redactor
	// replaces it everywhere else.
	s := start(t, demoSpec(), run{args: []string{"--cluster", "c"}, env: githubEnv("INPUT_TOKEN", "s3cr3t-value-1")})
	s.rt.Logger().Info("start")
	s.rt.Mask("s3cr3t-value-2")
	s.finish(nil)
	want := "::add-mask::s3cr3t-value-1\n::add-mask::czNjcjN0LXZhbHVlLTE=\n::add-mask::czNjcjN0LXZhbHVl\n::add-mask::M2NyM3QtdmFsdWUt\n::add-mask::Y3IzdC12YWx1ZS0x\n" +
		"level=INFO msg=start\n" +
		"::add-mask::s3cr3t-value-2\n::add-mask::czNjcjN0LXZhbHVlLTI=\n::add-mask::Y3IzdC12YWx1ZS0y\n" // the others are value-1's
	if have := s.stderr.String(); have != want {
		t.Errorf("stderr:\nwant %q\nhave %q", want, have)
	}
}

func TestRedactorSplitWrites(t *testing.T) {
	t.Parallel()
	const secret = "split-s3cr3t-value"
	tests := []struct {
		name   string
		writes []string
		want   string
	}{
		{"two writes", []string{"token=split-s3c", "r3t-value done\n"}, "token=*** done\n"},
		{"one byte at a time", strings.Split("a split-s3cr3t-value b\n", ""), "a *** b\n"},
		{"no final newline, flushed by Finish", []string{"x split-s3cr", "3t-value"}, "x ***"},
		{"two lines", []string{"a split-", "s3cr3t-value\nb split-s3cr3t", "-value\n"}, "a ***\nb ***\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, demoSpec(), run{args: []string{"--cluster", "c"}})
			s.rt.Mask(secret)
			for _, w := range tt.writes {
				n, err := s.rt.Log().Write([]byte(w))
				if err != nil || n != len(w) {
					t.Fatalf("Write(%q): want %d, nil; have %d, %v", w, len(w), n, err)
				}
			}
			s.finish(nil)
			if have := s.stderr.String(); have != tt.want {
				t.Errorf("stderr: want %q, have %q", tt.want, have)
			}
		})
	}
}

func TestRedactLongestFirst(t *testing.T) {
	t.Parallel()
	s := start(t, demoSpec(), run{args: []string{"--cluster", "c"}})
	s.rt.Mask("abc-secret")
	s.rt.Mask("abc-secret-extended")
	if have := s.rt.Redact("[abc-secret-extended] [abc-secret]"); have != "[***] [***]" {
		t.Errorf("Redact: want %q, have %q", "[***] [***]", have)
	}
}

// encodedForms are the ::add-mask:: values for secret, worked out here on
// their own, sorted: the secret, its quoted, URL-encoded (either hex case),
// JSON-escaped and base64 forms of 8 characters or more, each once, as the
// command carries them (% as %25).
func encodedForms(secret string) []string {
	forms := []string{secret}
	add := func(f string) {
		if len(f) >= 8 && !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}
	add(strings.Trim(strconv.Quote(secret), `"`))
	for _, f := range []string{url.QueryEscape(secret), url.PathEscape(secret)} {
		add(f)
		add(regexp.MustCompile(`%[0-9A-F]{2}`).ReplaceAllStringFunc(f, strings.ToLower))
	}
	var plain strings.Builder
	enc := json.NewEncoder(&plain)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(secret)
	html, _ := json.Marshal(secret)
	for _, j := range []string{strings.TrimSpace(plain.String()), string(html)} {
		add(strings.Trim(j, `"`))
		add(strings.ReplaceAll(strings.Trim(j, `"`), "/", `\/`))
	}
	for _, e := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		add(e.EncodeToString([]byte(secret)))
		for shift := range 3 {
			b := []byte(secret[shift:])
			add(e.WithPadding(base64.NoPadding).EncodeToString(b[:len(b)/3*3]))
		}
	}
	for i, f := range forms {
		forms[i] = strings.ReplaceAll(f, "%", "%25")
	}
	slices.Sort(forms)
	return forms
}

// TestRedactEncodedForms: a provider or a library that echoes a secret
// URL-encoded, JSON-escaped or in base64 leaks nothing: each form is
// redacted, and on GitHub each is masked.
func TestRedactEncodedForms(t *testing.T) {
	t.Parallel()
	const (
		hook     = "https://hooks.example.com/services/T0FERRY/B0FERRY/hooksecret0123"
		telegram = "123456789:AAH-telegram_secret0123"
		odd      = "p@ss w/rd <&> \"secret\" 42"
	)
	b64 := base64.StdEncoding.EncodeToString
	tests := []struct {
		name, secret, echo string
	}{
		{"JSON with \\/", hook, `{"url":"` + strings.ReplaceAll(hook, "/", `\/`) + `"}`},
		{"JSON", odd, `{"password":` + func() string { j, _ := json.Marshal(odd); return string(j) }() + `}`},
		{"JSON with HTML escaped as Go does", odd, `"p@ss w/rd \u003c\u0026\u003e \"secret\" 42"`},
		{"query-escaped", hook, "callback=" + url.QueryEscape(hook) + "&x=1"},
		{"path-escaped", odd, "/v1/" + url.PathEscape(odd) + "/x"},
		{"URL-encoded token", telegram, "Not Found: /bot" + url.QueryEscape(telegram) + "/sendMessage"},
		{"URL-encoded, lower-case hex", telegram, "Not Found: /bot123456789%3aAAH-telegram_secret0123/sendMessage"},
		{"base64", telegram, "auth=" + b64([]byte(telegram))},
		{"base64, URL alphabet", odd, base64.URLEncoding.EncodeToString([]byte(odd))},
		{"base64 after 1 byte", telegram, "Basic " + b64([]byte("u:"+telegram))},
		{"base64 after 2 bytes", telegram, "Basic " + b64([]byte("us:"+telegram+"!"))},
		{"base64 after 3 bytes", telegram, "Basic " + b64([]byte("usr:"+telegram+"!?"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, demoSpec(), run{args: []string{"--cluster", "c"}, env: githubEnv()})
			s.rt.Mask(tt.secret)
			have := s.rt.Redact(tt.echo)
			if !strings.Contains(have, "***") {
				t.Fatalf("nothing redacted in %q", have)
			}
			// What is left may not decode to 6 or more bytes of the secret.
			for _, part := range strings.FieldsFunc(have, func(r rune) bool { return strings.ContainsRune("*\"=:/ &?", r) }) {
				for _, text := range []string{part, decodeAll(part)} {
					for i := 0; i+6 <= len(tt.secret); i++ {
						if strings.Contains(text, tt.secret[i:i+6]) {
							t.Errorf("%q still holds %q of the secret (%q)", have, tt.secret[i:i+6], text)
						}
					}
				}
			}
			if masks := slices.Sorted(slices.Values(masks(s.stderr.String()))); !slices.Equal(masks, encodedForms(tt.secret)) {
				t.Errorf("::add-mask::\nwant %q\nhave %q", encodedForms(tt.secret), masks)
			}
		})
	}
}

// decodeAll undoes URL encoding, or base64 (either alphabet, padded or not,
// dropping a partial last group), of s when it is that; else s.
func decodeAll(s string) string {
	if u, err := url.QueryUnescape(s); err == nil && u != s {
		return u
	}
	for _, e := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		t := strings.TrimRight(s, "=")
		if b, err := e.DecodeString(t[:len(t)/4*4]); err == nil && len(t) >= 8 {
			return string(b)
		}
	}
	return s
}

func TestGitHubIDToken(t *testing.T) {
	t.Parallel()
	const requestToken, idToken = "request-T0ken-abc", "eyJ.id-T0ken.sig"
	var gotAudience, gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAudience, gotAuth = r.URL.Query().Get("audience"), r.Header.Get("Authorization")
		_ = json.NewEncoder(w).Encode(map[string]string{"value": idToken})
	}))
	t.Cleanup(srv.Close)
	s := start(t, demoSpec(), run{args: []string{"--cluster", "c"}, env: githubEnv(
		"ACTIONS_ID_TOKEN_REQUEST_URL", srv.URL+"/token?api-version=2.0",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN", requestToken,
	)})
	have, err := s.rt.GitHubIDToken(context.Background(), "sts.amazonaws.com")
	if err != nil || have != idToken {
		t.Fatalf("GitHubIDToken: want %q, have %q, %v", idToken, have, err)
	}
	if gotAudience != "sts.amazonaws.com" || gotAuth != "Bearer "+requestToken {
		t.Errorf("request: want audience sts.amazonaws.com and the bearer token, have %q %q", gotAudience, gotAuth)
	}
	s.rt.Logger().Info("tokens", "request", requestToken, "id", idToken)
	s.finish(nil)
	if m := masks(s.stderr.String()); !slices.Contains(m, requestToken) || !slices.Contains(m, idToken) {
		t.Errorf("::add-mask:: want both tokens, have %q", m)
	}
	if log := withoutMasks(s.stderr.String()); strings.Contains(log, requestToken) || strings.Contains(log, idToken) {
		t.Errorf("a token reached the log:\n%s", log)
	}

	s = start(t, demoSpec(), run{args: []string{"--cluster", "c"}, env: githubEnv()})
	if _, err := s.rt.GitHubIDToken(context.Background(), "sts.amazonaws.com"); err == nil || !strings.Contains(err.Error(), `audience "sts.amazonaws.com"`) {
		t.Errorf("without the token endpoint: want an error naming the audience, have %v", err)
	}
}
