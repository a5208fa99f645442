package ecs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// defaultTaskWait bounds waiting for a one-off task when ctx has no
// deadline.
const defaultTaskWait = time.Hour

// OneOff is a task to run once, such as a database migration.
type OneOff struct {
	Cluster string
	// TaskDefinition is the ARN (or family:revision) to run.
	TaskDefinition string
	// Container is the container whose exit code decides; "" means the
	// task definition's essential container (the first, when several).
	Container string
	// Command, when set, overrides the command of Container.
	Command []string
	// NetworkFrom names a service of Cluster whose awsvpc network
	// configuration and launch type or capacity provider strategy (and
	// platform version) the task copies; "" runs the task with the
	// cluster's defaults.
	NetworkFrom string
}

// TaskResult reports a one-off task that stopped.
type TaskResult struct {
	TaskARN       string
	Container     string // the container whose exit code decided
	ExitCode      int32
	StoppedReason string
	Containers    []ContainerExit
}

// RunTask starts t, waits (ECS's TasksStopped waiter, for the remaining
// time of ctx and at most PollMax between polls) until it stopped, and
// returns its result. A non-zero or missing exit code of the deciding
// container is an error wrapping [ErrTaskFailed], which names the stopped
// reason and every container's exit and reason; the result is returned
// with it.
func (d *Deployer) RunTask(ctx context.Context, t OneOff) (TaskResult, error) {
	if t.Cluster == "" || t.TaskDefinition == "" {
		return TaskResult{}, fmt.Errorf("run task: cluster and task definition are required, found cluster %q task definition %q", t.Cluster, t.TaskDefinition)
	}
	td, err := d.api.DescribeTaskDefinition(ctx, &awsecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(t.TaskDefinition)})
	if err != nil {
		return TaskResult{}, fmt.Errorf("describing task definition %q: %w", t.TaskDefinition, err)
	}
	container, err := decidingContainer(td.TaskDefinition, t)
	if err != nil {
		return TaskResult{}, err
	}
	in := &awsecs.RunTaskInput{
		Cluster:        aws.String(t.Cluster),
		TaskDefinition: aws.String(t.TaskDefinition),
		StartedBy:      aws.String("ferry"),
		Count:          aws.Int32(1),
	}
	if len(t.Command) > 0 {
		in.Overrides = &types.TaskOverride{ContainerOverrides: []types.ContainerOverride{{Name: aws.String(container), Command: t.Command}}}
	}
	if t.NetworkFrom != "" {
		svc, err := d.describe(ctx, Service{Cluster: t.Cluster, Name: t.NetworkFrom})
		if err != nil {
			return TaskResult{}, fmt.Errorf("reading the network of the task: %w", err)
		}
		in.NetworkConfiguration = svc.NetworkConfiguration
		if len(svc.CapacityProviderStrategy) > 0 {
			in.CapacityProviderStrategy = svc.CapacityProviderStrategy
		} else {
			in.LaunchType = svc.LaunchType
		}
		in.PlatformVersion = svc.PlatformVersion
	}
	run, err := d.api.RunTask(ctx, in)
	if err != nil {
		return TaskResult{}, fmt.Errorf("running task definition %q in cluster %q: %w", t.TaskDefinition, t.Cluster, err)
	}
	if len(run.Failures) > 0 || len(run.Tasks) == 0 {
		var reasons []string
		for _, f := range run.Failures {
			reasons = append(reasons, fmt.Sprintf("%s: %s %s", aws.ToString(f.Arn), aws.ToString(f.Reason), aws.ToString(f.Detail)))
		}
		return TaskResult{}, fmt.Errorf("running task definition %q in cluster %q: no task started: %s", t.TaskDefinition, t.Cluster, strings.Join(reasons, "; "))
	}
	arn := aws.ToString(run.Tasks[0].TaskArn)
	res := TaskResult{TaskARN: arn, Container: container}
	d.log.Info("task started", "cluster", t.Cluster, "task", arn, "task_definition", t.TaskDefinition)

	wait := defaultTaskWait
	if dl, ok := ctx.Deadline(); ok {
		wait = time.Until(dl)
	}
	if wait <= 0 {
		return res, fmt.Errorf("task %q: %w: no time left to wait for it", arn, ErrTimeout)
	}
	desc := &awsecs.DescribeTasksInput{Cluster: aws.String(t.Cluster), Tasks: []string{arn}}
	waiter := awsecs.NewTasksStoppedWaiter(d.api, func(o *awsecs.TasksStoppedWaiterOptions) {
		o.MinDelay = d.pollMin
		o.MaxDelay = d.pollMax
	})
	out, err := waiter.WaitForOutput(ctx, desc, wait)
	if err != nil {
		if ctx.Err() != nil || strings.Contains(err.Error(), "exceeded max wait time") {
			if errors.Is(context.Cause(ctx), context.Canceled) {
				return res, fmt.Errorf("waiting for task %q: %w", arn, context.Cause(ctx))
			}
			return res, fmt.Errorf("task %q: %w: not stopped: %w", arn, ErrTimeout, err)
		}
		return res, fmt.Errorf("waiting for task %q to stop: %w", arn, err)
	}
	if len(out.Tasks) == 0 {
		return res, fmt.Errorf("task %q: not found after it stopped", arn)
	}
	task := out.Tasks[0]
	f := failureOf(task)
	res.StoppedReason, res.Containers = f.StoppedReason, f.Containers
	for _, c := range f.Containers {
		if c.Name != container {
			continue
		}
		if c.ExitCode == nil {
			return res, fmt.Errorf("%w: container %q has no exit code; %s", ErrTaskFailed, container, f)
		}
		res.ExitCode = *c.ExitCode
		if *c.ExitCode != 0 {
			return res, fmt.Errorf("%w: container %q exited %d; %s", ErrTaskFailed, container, *c.ExitCode, f)
		}
		d.log.Info("task stopped", "cluster", t.Cluster, "task", arn, "container", container, "exit_code", 0)
		return res, nil
	}
	return res, fmt.Errorf("%w: container %q not in the stopped task; %s", ErrTaskFailed, container, f)
}

// decidingContainer is t.Container, checked against the task definition,
// or its (first) essential container.
func decidingContainer(td *types.TaskDefinition, t OneOff) (string, error) {
	if td == nil {
		return "", fmt.Errorf("describing task definition %q: empty answer", t.TaskDefinition)
	}
	var names []string
	for _, c := range td.ContainerDefinitions {
		name := aws.ToString(c.Name)
		names = append(names, name)
		if t.Container != "" && name == t.Container {
			return name, nil
		}
	}
	if t.Container != "" {
		return "", fmt.Errorf("task definition %q has no container %q (it has %q)", t.TaskDefinition, t.Container, names)
	}
	for _, c := range td.ContainerDefinitions {
		if c.Essential == nil || *c.Essential {
			return aws.ToString(c.Name), nil
		}
	}
	return "", fmt.Errorf("task definition %q has no essential container", t.TaskDefinition)
}
