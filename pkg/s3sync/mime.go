package s3sync

import (
	"path"
	"strings"
)

// DefaultContentType is what a file whose extension is not in the table
// is served as.
const DefaultContentType = "application/octet-stream"

// contentTypes maps lower-case file extensions to media types, for the
// files static sites are made of.
//
// This table is built in on purpose: mime.TypeByExtension reads the
// operating system's registry (/etc/mime.types, the Windows registry),
// which differs between a developer's laptop, a GitHub runner and a
// FROM-scratch container with no such file at all. The same site would
// then be uploaded with different Content-Types depending on where ferry
// ran, and every change of runner image would look like a header change
// of every object. Overrides go through the content-type input.
var contentTypes = map[string]string{
	// Documents and data.
	".html":        "text/html",
	".htm":         "text/html",
	".xhtml":       "application/xhtml+xml",
	".css":         "text/css",
	".js":          "text/javascript", // RFC 9239
	".mjs":         "text/javascript",
	".cjs":         "text/javascript",
	".json":        "application/json",
	".map":         "application/json",
	".jsonld":      "application/ld+json",
	".webmanifest": "application/manifest+json",
	".xml":         "application/xml",
	".rss":         "application/rss+xml",
	".atom":        "application/atom+xml",
	".txt":         "text/plain",
	".md":          "text/markdown",
	".csv":         "text/csv",
	".ics":         "text/calendar",
	".vtt":         "text/vtt",
	".yaml":        "application/yaml",
	".yml":         "application/yaml",
	".toml":        "application/toml",
	".pdf":         "application/pdf",
	".wasm":        "application/wasm",
	".zip":         "application/zip",
	".gz":          "application/gzip",
	".tar":         "application/x-tar",
	".br":          "application/x-brotli",

	// Images.
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".gif":  "image/gif",
	".webp": "image/webp",
	".avif": "image/avif",
	".svg":  "image/svg+xml",
	".ico":  "image/vnd.microsoft.icon",
	".bmp":  "image/bmp",
	".tif":  "image/tiff",
	".tiff": "image/tiff",
	".apng": "image/apng",
	".jxl":  "image/jxl",

	// Fonts.
	".woff":  "font/woff",
	".woff2": "font/woff2",
	".ttf":   "font/ttf",
	".otf":   "font/otf",
	".eot":   "application/vnd.ms-fontobject",

	// Audio and video.
	".mp3":  "audio/mpeg",
	".ogg":  "audio/ogg",
	".oga":  "audio/ogg",
	".wav":  "audio/wav",
	".flac": "audio/flac",
	".aac":  "audio/aac",
	".m4a":  "audio/mp4",
	".opus": "audio/opus",
	".mp4":  "video/mp4",
	".m4v":  "video/mp4",
	".webm": "video/webm",
	".ogv":  "video/ogg",
	".mov":  "video/quicktime",
	".m3u8": "application/vnd.apple.mpegurl",
	".ts":   "video/mp2t",
}

// textual are the non-text/* types whose content is text, and which
// therefore get a charset like text/* does.
var textual = map[string]bool{
	"text/javascript":           true,
	"application/json":          true,
	"application/ld+json":       true,
	"application/manifest+json": true,
	"application/xml":           true,
	"application/xhtml+xml":     true,
	"application/rss+xml":       true,
	"application/atom+xml":      true,
	"application/yaml":          true,
	"application/toml":          true,
	"image/svg+xml":             true,
}

// DetectContentType returns the Content-Type of a file by its name's
// extension (case-insensitive) from a built-in table, with
// "; charset=utf-8" added to text types, or DefaultContentType when the
// extension is unknown. It does not look at the content nor at the
// operating system.
func DetectContentType(name string) string {
	t, ok := contentTypes[strings.ToLower(path.Ext(name))]
	if !ok {
		return DefaultContentType
	}
	if strings.HasPrefix(t, "text/") || textual[t] {
		return t + "; charset=utf-8"
	}
	return t
}

// isHTML tells whether a Content-Type is an HTML page, which is uploaded
// after everything else so that a page never refers to an asset that is
// not there yet.
func isHTML(contentType string) bool {
	t, _, _ := strings.Cut(contentType, ";")
	t = strings.ToLower(strings.TrimSpace(t))
	return t == "text/html" || t == "application/xhtml+xml"
}
