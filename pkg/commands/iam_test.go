package commands_test

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/ferry-ci/ferry/internal/actiontest"
	"github.com/ferry-ci/ferry/internal/faultproxy"
	"github.com/ferry-ci/ferry/internal/iampolicy"
)

// unobservable are the policy actions no scenario can show, each with the
// reason it is in the policy all the same.
var unobservable = map[string]string{
	// IAM checks it on RegisterTaskDefinition with a task or execution
	// role, and on CreateStackSet with an administration role; no API call
	// of its own.
	"iam:PassRole": "RegisterTaskDefinition with taskRoleArn/executionRoleArn; CreateStackSet with an administration role",
	// The one-off task's waiter and the stopped-task diagnostics; moto's
	// RunTask fails for awsvpc tasks and moto stops no task.
	"ecs:DescribeTasks": "DescribeTasks of one-off and stopped tasks",
	// CodeDeploy's CreateDeployment with an AppSpec revision needs them;
	// no API call of their own.
	"codedeploy:GetDeploymentConfig":         "CreateDeployment reads the deployment group's config",
	"codedeploy:RegisterApplicationRevision": "CreateDeployment registers the AppSpec revision",
	// Only a failed multipart upload (files above 64 MiB) is aborted; the
	// scenarios keep to small sites.
	"s3:AbortMultipartUpload": "cleanup of a failed multipart upload of a file above 64 MiB",
	// deploy-cloudformation: CloudFormation reads an uploaded template
	// with the caller's credentials, no call of ferry's own.
	"s3:GetObject": "CloudFormation reads a template uploaded to template-bucket with the caller's credentials",
	// moto 5.2.1 has no UpdateTerminationProtection; pkg/cfn's Go fake
	// shows the call (TestPlanThenExecute).
	"cloudformation:UpdateTerminationProtection": "input termination-protection; moto does not implement it",
	// Only an empty change set is deleted: CloudFormation's "no changes"
	// after ferry's own comparison found a difference, which moto never
	// answers (pkg/cfn TestNoChangesChangeSet shows it on the Go fake).
	"cloudformation:DeleteChangeSet": "deleting a change set CloudFormation found empty",
}

// exempt are calls the role's policy does not govern.
var exempt = map[string]string{
	"sts:AssumeRoleWithWebIdentity": "allowed by the role's trust policy, not by its permissions",
	"sts:GetCallerIdentity":         "needs no permission",
}

// noPolicy are the actions without an IAM policy to check, and why; their
// scenarios' calls must all be exempt.
var noPolicy = map[string]string{
	"whoami": "its one call, sts:GetCallerIdentity, needs no permission (actions/whoami/README.md)",
}

// s3Actions are the IAM actions S3 operations need where the names differ
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html).
var s3Actions = map[string][]string{
	"ListObjectsV2":           {"s3:ListBucket"},
	"HeadObject":              {"s3:GetObject"},
	"CopyObject":              {"s3:GetObject", "s3:PutObject"},
	"CreateMultipartUpload":   {"s3:PutObject"},
	"UploadPart":              {"s3:PutObject"},
	"CompleteMultipartUpload": {"s3:PutObject"},
	"DeleteObjects":           {"s3:DeleteObject"},
}

// iamNames are the IAM actions a recorded call needs: registry requests
// are authorized as the ECR actions faultproxy names them after, S3
// operations as s3Actions says.
func iamNames(c faultproxy.Call) []string {
	switch {
	case c.Service == "registry":
		return []string{"ecr:" + c.Action}
	case c.Service == "s3" && s3Actions[c.Action] != nil:
		return s3Actions[c.Action]
	}
	return []string{c.Name()}
}

// TestScenarios runs every scenario of every action once through the fault
// proxies, with its scripted faults only and OIDC credentials, and checks
// its end state (and, as every run does, that no secret leaked). Then, per
// action, it compares the calls recorded with the IAM policy in
// actions/<name>/README.md: every call must be allowed, and every action
// of the policy must have been used by some scenario, save those listed in
// unobservable.
func TestScenarios(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	used := map[string]map[string]bool{} // action → IAM actions called
	t.Run("run", func(t *testing.T) {
		for _, s := range scenarios() {
			t.Run(s.action+"/"+s.name, func(t *testing.T) {
				t.Parallel()
				w, r := prepare(t, s, faultproxy.Rates{}, 0)
				res := w.exec(runCtx(t), t, s, r, oidcCreds)
				r.verify(t, res)
				mu.Lock()
				defer mu.Unlock()
				if used[s.action] == nil {
					used[s.action] = map[string]bool{}
				}
				calls := w.aws.Calls()
				if w.regp != nil {
					calls = append(calls, w.regp.Calls()...)
				}
				for _, c := range calls {
					for _, a := range iamNames(c) {
						used[s.action][a] = true
					}
				}
			})
		}
	})
	if t.Failed() {
		return // a scenario that failed may not have made its calls
	}
	root := actiontest.Root(t)
	actions := make([]string, 0, len(used))
	for a := range used {
		actions = append(actions, a)
	}
	sort.Strings(actions)
	for _, action := range actions {
		t.Run("iam/"+action, func(t *testing.T) {
			if reason, ok := noPolicy[action]; ok {
				for c := range used[action] {
					if _, ok := exempt[c]; !ok {
						t.Errorf("%s calls %s, but has no IAM policy (%s): write its policy in its README and drop it from noPolicy", action, c, reason)
					}
				}
				return
			}
			md, err := os.ReadFile(filepath.Join(root, "actions", action, "README.md"))
			if err != nil {
				t.Fatal(err)
			}
			policy, err := iampolicy.FromMarkdown(md, "## IAM policy")
			if err != nil {
				t.Fatalf("actions/%s/README.md: %v", action, err)
			}
			var calls []string
			for c := range used[action] {
				calls = append(calls, c)
			}
			sort.Strings(calls)
			t.Logf("%s called: %s", action, strings.Join(calls, " "))
			for _, c := range calls {
				if _, ok := exempt[c]; !ok && !policy.Allows(c) {
					t.Errorf("%s calls %s, which its README's IAM policy does not allow", action, c)
				}
			}
			for _, a := range policy.Actions() {
				if _, ok := unobservable[a]; ok {
					continue
				}
				if !slices.ContainsFunc(calls, func(c string) bool { return iampolicy.Match(a, c) }) {
					t.Errorf("the IAM policy of %s allows %s, which no scenario used: drop it, or add the scenario that needs it", action, a)
				}
			}
		})
	}
}
