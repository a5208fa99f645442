package notify

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Provider limits are counted in UTF-16 code units, as Telegram counts its
// 4,096 and as JavaScript strings (Discord, Slack) count length; an emoji
// outside the BMP counts 2, so a limit in code units holds in characters.

// units is the length of s in UTF-16 code units.
func units(s string) int {
	n := 0
	for _, r := range s { // invalid bytes come out as U+FFFD, one unit
		n += utf16.RuneLen(r)
	}
	return n
}

// cut returns the longest prefix of s of at most limit UTF-16 units that
// ends on a rune boundary.
func cut(s string, limit int) string {
	n := 0
	for i, r := range s {
		w := utf16.RuneLen(r)
		if n+w > limit {
			return s[:i]
		}
		n += w
	}
	return s
}

// Split cuts s into chunks of at most limit UTF-16 units, so that joined
// back together they are s. A chunk ends after the last line break in it,
// else after the last space, when that keeps at least half the chunk;
// otherwise it ends at the limit, on a rune boundary.
func Split(s string, limit int) []string {
	var chunks []string
	for units(s) > limit {
		head := cut(s, limit)
		if i := strings.LastIndexByte(head, '\n'); i >= len(head)/2 && i > 0 {
			head = head[:i+1]
		} else if i := strings.LastIndexByte(head, ' '); i >= len(head)/2 && i > 0 {
			head = head[:i+1]
		}
		if head == "" { // a limit below one rune: take the rune anyway
			_, w := utf8.DecodeRuneInString(s)
			head = s[:w]
		}
		chunks = append(chunks, head)
		s = s[len(head):]
	}
	if s != "" || len(chunks) == 0 {
		chunks = append(chunks, s)
	}
	return chunks
}

// Truncate shortens s to at most limit UTF-16 units, ending with "…" when
// it cut anything.
func Truncate(s string, limit int) string {
	if units(s) <= limit {
		return s
	}
	if limit < 1 {
		return ""
	}
	return cut(s, limit-1) + "…"
}

// slackEscape escapes the three characters Slack reads as markup: &, < and >.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

// markdownCell makes s fit one cell of a Markdown table.
var markdownCell = strings.NewReplacer("|", `\|`, "\r\n", "<br>", "\n", "<br>").Replace
