// Package notify tells people and systems how a deployment went: Slack
// (incoming webhook, or the Web API with edit in place), Microsoft Teams
// (Workflows webhook, Adaptive Card), Discord, Telegram, Google Chat, a
// generic JSON webhook, a sticky pull- or merge-request comment, and a GitHub
// deployment status.
//
// A [Context] describes the run (repository, ref, commit, actor, run URL,
// environment, status and free-form fields); [Content] makes its title and
// message, literal text as written or opt-in Go templates over the context;
// each [Destination] turns the rendered
// [Message] into its provider's typed payload, encodes it once and posts it.
// Text is never spliced into JSON by hand, and each provider gets the
// escaping its markup needs (Slack's &, < and >; HTML in Google Chat cards;
// none in Telegram, which receives plain text with entities), so quotes,
// newlines, emoji and backticks arrive as written.
//
// [Retry] is the http.RoundTripper every destination's client uses: it
// retries 429 and 5xx responses (and failed dials), honouring Retry-After in
// seconds or as an HTTP date, within the request context's deadline.
//
// The package does not know which CI platform it runs on: sticky comments
// and deployments reach GitHub and GitLab through the [Thread] and
// [Deployments] interfaces, which the caller implements with the platform's
// API client. Errors name the destination, never its URL: webhook URLs and
// Telegram's bot path are secrets.
package notify
