package awsauth

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/smithy-go/logging"
)

func TestSDKLoggerGoesThroughSlog(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l := sdkLogger{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	l.Logf(logging.Warn, "falling back to %s", "IMDSv1")
	l.Logf(logging.Debug, "request %d", 7)
	for _, want := range []string{`level=WARN msg="aws sdk: falling back to IMDSv1"`, `level=DEBUG msg="aws sdk: request 7"`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, buf.String())
		}
	}
}
