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

// Markdown destinations (GitHub and GitLab comments, Teams cards) render
// user text: a commit message's @all would ping the whole project and
// [docs](https://evil.example) would show as a trusted link. neutral keeps
// the text readable as written while nothing in it pings or links, as
// slackEscape does for Slack and allowed_mentions for Discord.

// zeroWidth is the zero-width space put inside what would render: "@" +
// zeroWidth + "all" reads as @all and mentions no one; "]" + zeroWidth +
// "(" ends a link's syntax.
const zeroWidth = "\u200b"

// markdownSafe is user text for a GitHub or GitLab comment: every @mention
// (@all, @here, @channel, @user, @org/team) and every link, image or
// reference definition ("](", "][", "]:") holds a zero-width space, written
// as the entity &#8203; so that the comment's source shows it; "<" before a
// tag or comment (<a href>, <img>, <!-- …) is &lt;, so no HTML renders and
// no text forges the comment's marker. Code spans and fenced blocks are
// left as written: nothing renders in them.
func markdownSafe(s string) string { return neutral(s, "&#8203;", true) }

// cardSafe is user text for an Adaptive Card TextBlock, whose Markdown has
// links but no code, no HTML and no entities: every mention and link holds
// a zero-width space, code spans included.
func cardSafe(s string) string { return neutral(s, zeroWidth, false) }

func neutral(s, zw string, markdown bool) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case markdown && c == '`':
			n := backticks(s[i:])
			if end := closingRun(s[i+n:], n); end >= 0 { // a code span: as written
				b.WriteString(s[i : i+n+end+n])
				i += n + end + n
				continue
			}
			b.WriteString(s[i : i+n]) // no closing run: literal backticks
			i += n
			continue
		case c == '@' && mentionStart(s, i):
			b.WriteString("@" + zw)
		case c == ']' && i+1 < len(s) && strings.IndexByte("([:", s[i+1]) >= 0:
			b.WriteString("]" + zw)
		case markdown && c == '<' && i+1 < len(s) && (isLetter(s[i+1]) || strings.IndexByte("/!?", s[i+1]) >= 0):
			b.WriteString("&lt;")
		default:
			b.WriteByte(c)
		}
		i++
	}
	return b.String()
}

// mentionStart reports whether the "@" at s[i] starts a mention: it
// follows the start, a space or punctuation other than what an e-mail
// address or a path has before its "@", and a name follows it.
func mentionStart(s string, i int) bool {
	if i+1 >= len(s) || !(isLetter(s[i+1]) || isDigit(s[i+1]) || s[i+1] == '_') {
		return false
	}
	if i == 0 {
		return true
	}
	p := s[i-1]
	return !(isLetter(p) || isDigit(p) || strings.IndexByte("_.+-/=", p) >= 0)
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// backticks is the length of the run of backticks s starts with.
func backticks(s string) int {
	n := 0
	for n < len(s) && s[n] == '`' {
		n++
	}
	return n
}

// closingRun is where in s the first run of exactly n backticks starts,
// or -1: what closes a code span opened by n backticks.
func closingRun(s string, n int) int {
	for i := 0; i < len(s); {
		if s[i] != '`' {
			i++
			continue
		}
		m := backticks(s[i:])
		if m == n {
			return i
		}
		i += m
	}
	return -1
}
