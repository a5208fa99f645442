package notify

import (
	"context"
	"errors"
	"fmt"
	"strconv"
)

// DeploymentStatus is one status of a GitHub deployment.
type DeploymentStatus struct {
	State          string // in_progress, success, failure, inactive
	Description    string // at most 140 characters
	LogURL         string
	EnvironmentURL string
}

// Deployments is the part of GitHub's deployments API a Deployment uses;
// the caller implements it with the API client.
type Deployments interface {
	// Find returns the newest deployment of sha to environment, 0 when none.
	Find(ctx context.Context, sha, environment string) (int64, error)
	// Create creates a deployment of sha to environment.
	Create(ctx context.Context, sha, environment, description string) (int64, error)
	// SetStatus adds a status to a deployment.
	SetStatus(ctx context.Context, id int64, s DeploymentStatus) error
}

// Deployment reports the status on a GitHub deployment of the commit to an
// environment. It reuses the newest deployment of that commit and
// environment when there is one (so a "started" step and the result step
// speak of the same deployment), and creates it otherwise.
type Deployment struct {
	Environment string
	API         Deployments
}

// DeploymentState maps a status to GitHub's deployment states: started is
// in_progress, cancelled is inactive (the deployment is not what runs).
func DeploymentState(s Status) string {
	switch s {
	case Started:
		return "in_progress"
	case Success:
		return "success"
	case Failure:
		return "failure"
	}
	return "inactive"
}

// Name implements Destination.
func (Deployment) Name() string { return "github-deployment" }

// Send implements Destination.
func (d Deployment) Send(ctx context.Context, m Message) (Receipt, error) {
	if m.SHA == "" {
		return Receipt{}, errors.New("no commit SHA to deploy")
	}
	id, err := d.API.Find(ctx, m.SHA, d.Environment)
	if err != nil {
		return Receipt{}, fmt.Errorf("finding the deployment of %s to %q: %w", m.ShortSHA(), d.Environment, err)
	}
	requests, action := 1, "status added"
	if id == 0 {
		id, err = d.API.Create(ctx, m.SHA, d.Environment, Truncate(m.Title, 140))
		if err != nil {
			return Receipt{}, fmt.Errorf("creating a deployment of %s to %q: %w", m.ShortSHA(), d.Environment, err)
		}
		requests, action = 2, "created"
	}
	s := DeploymentStatus{
		State:          DeploymentState(m.Status),
		Description:    Truncate(m.Title, 140),
		LogURL:         m.RunURL,
		EnvironmentURL: m.EnvironmentURL,
	}
	if err := d.API.SetStatus(ctx, id, s); err != nil {
		return Receipt{}, fmt.Errorf("setting deployment %d to %s: %w", id, s.State, err)
	}
	return Receipt{ID: strconv.FormatInt(id, 10), Requests: requests, Action: action}, nil
}
