package notify

import "testing"

// TestMarkdownSafe: mentions, links and HTML in user text are neutralised
// for GitHub and GitLab comments; addresses, paths and code are not.
func TestMarkdownSafe(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"plain", "fix: the login", "fix: the login"},
		{"special mentions", "@all @here @channel", "@&#8203;all @&#8203;here @&#8203;channel"},
		{"user and team", "cc @octocat, (@org/team)", "cc @&#8203;octocat, (@&#8203;org/team)"},
		{"at a line start", "a\n@all", "a\n@&#8203;all"},
		{"e-mail, path, version pin", "mail@example.com a/@b x=@y pkg@1.2 -@z", "mail@example.com a/@b x=@y pkg@1.2 -@z"},
		{"lone @", "@ alone, @, @@", "@ alone, @, @@"},
		{"link and image", "[docs](https://x) ![p](https://y)", "[docs]&#8203;(https://x) ![p]&#8203;(https://y)"},
		{"reference link and definition", "[a][1]\n[1]: https://x", "[a]&#8203;[1]\n[1]&#8203;: https://x"},
		{"brackets alone", "[WIP] fix [x]", "[WIP] fix [x]"},
		{"HTML and comments", "<a href=x>y</a> <!-- ferry:notify:k --> <?php", "&lt;a href=x>y&lt;/a> &lt;!-- ferry:notify:k --> &lt;?php"},
		{"comparisons", "a < b, 1<2, <-", "a < b, 1<2, <-"},
		{"code span", "see `@all [x](y) <b>` and @all", "see `@all [x](y) <b>` and @&#8203;all"},
		{"double backticks", "`` a ` @all `` @all", "`` a ` @all `` @&#8203;all"},
		{"fenced block", "```\n@all <b>\n```\n@all", "```\n@all <b>\n```\n@&#8203;all"},
		{"unclosed backtick", "`@all", "`@&#8203;all"},
		{"unclosed backtick, later text", "it` @all", "it` @&#8203;all"},
		{"multi-byte", "🚀 @all é[x](y)", "🚀 @&#8203;all é[x]&#8203;(y)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if have := markdownSafe(tt.in); have != tt.want {
				t.Errorf("markdownSafe(%q):\nwant %q\nhave %q", tt.in, tt.want, have)
			}
		})
	}
}

// TestCardSafe: Adaptive Cards render links but no code or HTML, so
// mentions and links are neutralised everywhere and HTML is left alone.
func TestCardSafe(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"mention and link", "@all [x](y)", "@\u200ball [x]\u200b(y)"},
		{"in backticks too", "`@all [x](y)`", "`@\u200ball [x]\u200b(y)`"},
		{"HTML as written", "<b>x</b>", "<b>x</b>"},
	}
	for _, tt := range tests {
		if have := cardSafe(tt.in); have != tt.want {
			t.Errorf("%s: cardSafe(%q): want %q, have %q", tt.name, tt.in, tt.want, have)
		}
	}
}
