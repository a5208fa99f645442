package cfn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Defaults of [Config].
const (
	DefaultPollInterval    = 5 * time.Second
	DefaultMaxPollInterval = 30 * time.Second
)

// Errors callers branch on. Each comes wrapped with the stack's name.
var (
	// ErrProtected: the change set replaces or deletes a resource of a
	// protected type; it was not executed.
	ErrProtected = errors.New("refused: it replaces or deletes resources of protected types; nothing was executed")
	// ErrRollbackComplete: the stack's creation failed and was rolled back;
	// it cannot be updated, only deleted and created again.
	ErrRollbackComplete = errors.New("stack is in ROLLBACK_COMPLETE after a failed create: it cannot be updated; delete it and run again")
	// ErrStackFailed: the stack operation ended in a state other than
	// CREATE_COMPLETE or UPDATE_COMPLETE; [StackError] tells the state and
	// the root cause.
	ErrStackFailed = errors.New("stack operation failed")
	// ErrChangeSetFailed: CloudFormation could not make the change set
	// (for a reason other than "no changes").
	ErrChangeSetFailed = errors.New("change set failed")
	// ErrChangeSetExists: the change set to make has the name of one made
	// earlier (not by a retry of this run's call).
	ErrChangeSetExists = errors.New("change set name taken")
	// ErrNoSuchChangeSet: mode execute names a change set the stack does
	// not have.
	ErrNoSuchChangeSet = errors.New("no such change set")
	// ErrChangeSetNotExecutable: mode execute names a change set that
	// cannot run (already executed, failed, or not yet complete).
	ErrChangeSetNotExecutable = errors.New("change set cannot be executed")
)

// cloudFormationAPI lists the CloudFormation calls this package makes;
// *cloudformation.Client satisfies it. The embedded clients serve the
// SDK's waiters and paginators.
type cloudFormationAPI interface {
	cloudformation.DescribeStacksAPIClient
	cloudformation.DescribeChangeSetAPIClient
	cloudformation.DescribeStackEventsAPIClient
	GetTemplate(context.Context, *cloudformation.GetTemplateInput, ...func(*cloudformation.Options)) (*cloudformation.GetTemplateOutput, error)
	CreateChangeSet(context.Context, *cloudformation.CreateChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.CreateChangeSetOutput, error)
	ExecuteChangeSet(context.Context, *cloudformation.ExecuteChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.ExecuteChangeSetOutput, error)
	DeleteChangeSet(context.Context, *cloudformation.DeleteChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.DeleteChangeSetOutput, error)
	UpdateTerminationProtection(context.Context, *cloudformation.UpdateTerminationProtectionInput, ...func(*cloudformation.Options)) (*cloudformation.UpdateTerminationProtectionOutput, error)
	GetStackPolicy(context.Context, *cloudformation.GetStackPolicyInput, ...func(*cloudformation.Options)) (*cloudformation.GetStackPolicyOutput, error)
	SetStackPolicy(context.Context, *cloudformation.SetStackPolicyInput, ...func(*cloudformation.Options)) (*cloudformation.SetStackPolicyOutput, error)
}

var _ cloudFormationAPI = (*cloudformation.Client)(nil)

// s3API is the one S3 call this package makes, to upload a template over
// the inline limit; *s3.Client satisfies it.
type s3API interface {
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

var _ s3API = (*s3.Client)(nil)

// Config configures a [Deployer]; zero values take the defaults.
type Config struct {
	// Logger receives progress (info) and detail (debug); nil discards them.
	Logger *slog.Logger
	// Events, when set, receives the stack's new events while a stack
	// operation runs, oldest first, a batch per poll.
	Events func([]Event)
	// Planned, when set, receives the change set's name and rows once
	// CloudFormation has computed them, before anything is executed.
	Planned func(changeSet string, changes []Change)
	// PollInterval is the first wait between two polls of a change set or
	// a stack; the SDK's waiters grow it up to MaxPollInterval.
	PollInterval, MaxPollInterval time.Duration
	// Region is the stack's region: it names the S3 endpoint of an
	// uploaded template's URL.
	Region string
	// Now is the clock ([time.Now] when nil).
	Now func() time.Time
}

// Deployer deploys CloudFormation stacks through change sets. It holds no
// state between calls and is safe for concurrent use.
type Deployer struct {
	cf  cloudFormationAPI
	s3  s3API
	log *slog.Logger
	c   Config
}

// New returns a Deployer calling CloudFormation through cf (a
// *cloudformation.Client) and, for templates over [MaxInlineTemplate], S3
// through s3client (a *s3.Client; nil when no template bucket is used).
func New(cf cloudFormationAPI, s3client s3API, c Config) *Deployer {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.MaxPollInterval < c.PollInterval {
		c.MaxPollInterval = max(DefaultMaxPollInterval, c.PollInterval)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return &Deployer{cf: cf, s3: s3client, log: c.Logger, c: c}
}

// Status is how a run ended for the stack.
type Status string

// The statuses of a [Result].
const (
	Created   Status = "created"   // the stack was created
	Updated   Status = "updated"   // the stack (or its settings) changed
	Unchanged Status = "unchanged" // nothing to change
	Planned   Status = "planned"   // mode plan: a change set waits to be executed
	Failed    Status = "failed"    // the change set or the stack operation failed
)

// Change is one row of a change set: a resource and what happens to it.
type Change struct {
	Action      string // Add, Modify, Remove, Import, Dynamic
	LogicalID   string
	PhysicalID  string // "" for a resource not created yet
	Type        string // e.g. AWS::S3::Bucket
	Replacement string // True, False, Conditional, or "" (not a Modify)
	// Details says what changes: "Properties.BucketName (always
	// recreates): "a" → "b"", one entry per change detail.
	Details []string
	// Protected: the change replaces (or may replace) or deletes a
	// resource of a protected type.
	Protected bool
}

// Output is one output of the stack.
type Output struct {
	Key, Value, Description, ExportName string
}

// Event is one stack event.
type Event struct {
	Time       time.Time
	LogicalID  string
	PhysicalID string
	Type       string
	Status     string
	Reason     string
}

// String renders the event as one log line.
func (e Event) String() string {
	s := fmt.Sprintf("%s %-28s %s (%s)", e.Time.UTC().Format("15:04:05"), e.Status, e.LogicalID, e.Type)
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// failed tells a failed event.
func (e Event) failed() bool { return strings.HasSuffix(e.Status, "_FAILED") }

// cancelled tells the cascade that follows a failure: resources whose
// operation CloudFormation stopped because another one failed.
func (e Event) cancelled() bool {
	r := strings.ToLower(e.Reason)
	return strings.Contains(r, "cancelled") || strings.Contains(r, "canceled")
}

// StackError is a stack operation that ended in a state other than the
// one asked for: the state, the root cause (the first failed resource
// event, not the cancellations that follow it) and what to do.
type StackError struct {
	Stack     string
	Status    string // the stack's final state, e.g. UPDATE_ROLLBACK_COMPLETE
	Reason    string // the stack's status reason
	RootCause *Event // nil when no failed event was seen
	Advice    string // how to proceed, when there is something to say
	// Found: the stack was in this state when the run began, which
	// changed nothing.
	Found bool
}

func (e *StackError) Error() string {
	var b strings.Builder
	if e.Found {
		fmt.Fprintf(&b, "stack %q is in %s, nothing changed", e.Stack, e.Status)
	} else {
		fmt.Fprintf(&b, "stack %q ended in %s", e.Stack, e.Status)
	}
	if e.RootCause != nil {
		fmt.Fprintf(&b, "; root cause: %s (%s) %s: %s", e.RootCause.LogicalID, e.RootCause.Type, e.RootCause.Status, e.RootCause.Reason)
	} else if e.Reason != "" {
		fmt.Fprintf(&b, ": %s", e.Reason)
	}
	if e.Advice != "" {
		b.WriteString("; " + e.Advice)
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrStackFailed) hold, and
// ErrRollbackComplete for a failed create.
func (e *StackError) Unwrap() []error {
	if e.Status == "ROLLBACK_COMPLETE" {
		return []error{ErrStackFailed, ErrRollbackComplete}
	}
	return []error{ErrStackFailed}
}

// ProtectedError lists the changes of a change set refused by
// [Options.Protect].
type ProtectedError struct {
	ChangeSet string
	Changes   []Change
}

func (e *ProtectedError) Error() string {
	var parts []string
	for _, c := range e.Changes {
		what := "deletes"
		switch {
		case c.Action == "Modify" && c.Replacement == "Conditional":
			what = "may replace"
		case c.Action == "Modify":
			what = "replaces"
		}
		parts = append(parts, fmt.Sprintf("%s %s (%s)", what, c.LogicalID, c.Type))
	}
	return fmt.Sprintf("change set %q %s: %s", e.ChangeSet, strings.Join(parts, ", "), ErrProtected)
}

// Unwrap makes errors.Is(err, ErrProtected) hold.
func (e *ProtectedError) Unwrap() error { return ErrProtected }
