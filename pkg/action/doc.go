// Package action is ferry's runtime: it turns one declaration of an action's
// inputs and outputs ([Spec]) into parsed inputs, outputs, a step summary,
// masking and log groups on each platform ferry runs on — GitHub Actions,
// GitLab CI and a plain command line.
//
// The platform is detected from the environment ([Detect]). Inputs come from
// command-line flags (--name), then on GitHub from INPUT_<NAME> exactly as the
// runner sets them for container actions, then from FERRY_<NAME> (hyphens
// become underscores), then from the declared default. Every problem with the
// inputs is reported at once as a [UsageError] (exit code 2).
//
// Outputs go to $GITHUB_OUTPUT (delimiter syntax with a random delimiter) on
// GitHub, to a dotenv file for artifacts:reports:dotenv on GitLab, and to
// stdout (text or one JSON object) on the command line. Logs always go to
// stderr, through a writer that replaces every secret with "***".
//
// The run's context — repository, ref, commit, actor, run, pull request,
// environment, event — is mapped from each platform's variables here, one
// file per platform, and handed to the commands as a [RunContext]
// ([Runtime.Context]): the commands never read the runners' variables.
//
// The package also renders a Spec as action.yml and as a README table, and
// checks an existing action.yml against a Spec ([CheckActionYAML]).
package action
