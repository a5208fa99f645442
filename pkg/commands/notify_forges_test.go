package commands

import "testing"

// TestGraphQLURL: the GraphQL endpoint asked who the token is sits beside
// the REST API, on github.com and on GitHub Enterprise Server.
func TestGraphQLURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ api, want string }{
		{"https://api.github.com", "https://api.github.com/graphql"},
		{"https://api.github.com/", "https://api.github.com/graphql"},
		{"https://ghe.example.com/api/v3", "https://ghe.example.com/api/graphql"},
		{"https://ghe.example.com/api/v3/", "https://ghe.example.com/api/graphql"},
		{"http://127.0.0.1:8080/github", "http://127.0.0.1:8080/github/graphql"},
	}
	for _, tt := range tests {
		if have := graphqlURL(tt.api); have != tt.want {
			t.Errorf("graphqlURL(%q): want %q, have %q", tt.api, tt.want, have)
		}
	}
}
