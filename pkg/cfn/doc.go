// Package cfn deploys CloudFormation stacks through change sets, for the
// deploy-cloudformation action.
//
// [Deployer.Deploy] takes one [Options] value — the stack, its template
// and parameters, tags and settings, a [Mode] and the resource types to
// protect — and returns a [Result]: the [Status], the change set, its
// [Change] rows and the stack's outputs.
//
//   - A stack that another operation is changing (*_IN_PROGRESS) is waited
//     for with the SDK's waiter, within the caller's deadline.
//   - Before any change set, the deployed template (GetTemplate), the
//     parameters (those given, else the template's defaults), the tags and
//     the other settings given are compared with those asked for: a stack
//     already as asked is [Unchanged] without a change set. A change set
//     CloudFormation finds empty ("didn't contain changes") is deleted and
//     the stack [Unchanged] too.
//   - Change sets are named per run ([ChangeSetName]), so concurrent runs
//     never collide, and described page by page with the property values.
//     A change that replaces (or may replace) or deletes a resource of a
//     protected type refuses the change set before it runs
//     ([ProtectedError], [ErrProtected]).
//   - While the change set runs, the stack's new events go to
//     [Config.Events]; a failure is a [*StackError] with the final state,
//     the root cause (the first failed resource event, not the
//     cancellations that follow it) and how to proceed, e.g. delete a stack
//     left in ROLLBACK_COMPLETE ([ErrRollbackComplete]).
//   - A template over [MaxInlineTemplate] bytes is uploaded to a bucket
//     under a key named by its content and passed by URL.
//
// Parameters files in the AWS CLI's shape, as a key-to-value object, or in
// CodePipeline's template configuration are read by [ParseParameterFile];
// [Options.Validate] reports every problem at once as [*FieldError]s
// naming a [Field], which the caller names as its user knows it.
//
// CloudFormation and S3 are reached through narrow, unexported interfaces
// that *cloudformation.Client and *s3.Client satisfy. The package is quiet
// (it logs to the optional *slog.Logger of [Config]) and knows nothing of
// CI platforms.
package cfn
