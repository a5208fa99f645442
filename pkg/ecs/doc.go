// Package ecs is the rolling deploy engine of the deploy-ecs action: it
// moves ECS services to task definitions registered elsewhere (it gets
// their ARNs), waits for the rollouts, and rolls back; and it runs one-off
// tasks.
//
// [Deployer.Deploy] updates several services in parallel and is
// all-or-nothing: with [Options.Rollback], when one service fails (its
// rollout FAILED, the deployment circuit breaker rolled it back, too many
// tasks of the new revision stopped, or the context's deadline passed),
// every service that was updated — including those whose rollout had
// finished — is updated back to its previous task definition, and that
// rollout is waited for too. A service that already runs the task
// definition, with no desired count and no forced deployment asked for, is
// left alone ([StatusUnchanged]).
//
// While waiting, DescribeServices is polled first Config.PollMin (2s) after
// the update, then every Config.PollMax (5s), start to start; each poll also lists
// the service's stopped tasks and describes only those not seen before.
// New service events (deduplicated by id) and changed task counts are
// logged at Info, with a heartbeat when nothing changed for 3×PollMax.
//
// A deploy whose caller cancels the context (SIGTERM; not its deadline)
// starts nothing more: no rollback, which could not finish within a
// runner's grace period anyway. Every service keeps the task definition it
// was updated to, ECS goes on with that rollout, and the errors wrap
// [ErrNotRolledBack] and context.Canceled. A blue/green deploy still puts
// the traffic back where it started (a few calls); the idle side keeps the
// new revision without traffic.
//
// When a rollout is done is decided by two rules, documented on the
// unexported watch type: the AWS rule (the PRIMARY deployment has the new
// task definition and rolloutState COMPLETED) and, only when the
// UpdateService response shows no PRIMARY deployment of the new task
// definition — which AWS always shows and moto never does — the moto rule
// (one pre-existing deployment, the service's taskDefinition is the new
// one, and the service is stable).
//
// # ECS's own deployments
//
// A service whose deploymentConfiguration.strategy is BLUE_GREEN, LINEAR or
// CANARY (after the plan's [Native] is merged in: only the fields it sets
// change, the rest is sent back as the service has it) is not followed
// through its deployments array but through ECS's service deployment: the
// ARN the UpdateService answer names in currentServiceDeployment (or, when
// it names none, the newest PENDING or IN_PROGRESS one ListServiceDeployments
// gives), polled with DescribeServiceDeployments PollMin after the update
// and then every PollMax, never more than 60s/PollMax reads a minute across
// a deploy, its rollback and a decision. Each new lifecycle stage is logged
// and kept in [Outcome.Timeline]. SUCCESSFUL is [StatusDeployed]; ECS's
// own rollback (ROLLBACK_SUCCESSFUL: an alarm, the circuit breaker) is
// [StatusRolledBack] with [ErrRolledBack] and the service's events and
// stopped tasks; ROLLBACK_FAILED and STOPPED are [StatusFailed]. The bake
// time counts toward the context's deadline (a warning is logged when the
// deadline comes first); when it passes with [Options.Rollback], the
// deployment is stopped once with StopServiceDeployment(ROLLBACK) and that
// rollback is waited for — never a second UpdateService.
//
// [Native.PauseAt] adds (or keeps) a PAUSE lifecycle hook at a stage and
// makes the deploy return [StatusPaused] as soon as ECS waits there, with
// the hook in [Outcome.Paused] and, through Env.TestURL, the URL of the
// service's test listener rule. [Deployer.Decide] is the second step: it
// continues or rolls back the paused deployment (ContinueServiceDeployment)
// and follows it to its end. ECS's own hook timeout is the safety net when
// nobody decides.
//
// [Deployer.RunTask] runs a one-off task, optionally in the network of a
// service, waits with ECS's TasksStopped waiter and reports the exit code
// of the essential container.
//
// [PlanBlueGreen] and [Deployer.DeployBlueGreen] deploy a pair of services
// behind one ALB listener: the side without traffic gets the new revision
// and is waited for, then the traffic walks to it through a [Switch]
// (*traffic.Switcher), gated on target health and alarms. Any failure
// leaves the traffic where it started and rolls the idle side back; the
// live side is never touched.
//
// [Deployer.Run] carries out a whole [Plan], the value deploy-ecs builds
// from its inputs before the first AWS call: it renders every task
// definition first (through a [Registry], *taskdef.Registrar), then
// registers them, runs the optional one-off task and deploys with the
// plan's one [Strategy]: [Rolling], [BlueGreenWeights] (through a
// [Switch]) or [CodeDeploy] (through a [CodeDeployer], the container
// behind the load balancer chosen by codedeploy.Request.For). Its
// [Report] holds what the caller shows: renders, outcomes, the side a
// blue/green deploy went to.
//
// AWS is reached through a narrow, unexported interface that *ecs.Client
// of github.com/aws/aws-sdk-go-v2/service/ecs satisfies; [New] takes it.
// The package is quiet: it prints nothing and logs to the optional
// *slog.Logger of [Config]. It knows nothing about CI platforms.
package ecs
