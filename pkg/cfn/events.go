package cfn

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// eventStream reads a stack's events as an operation adds them: only
// those newer than the newest seen, oldest first. DescribeStackEvents
// lists the newest first, so each poll pages until it meets the last one
// seen.
type eventStream struct {
	d     *Deployer
	stack string
	last  string  // id of the newest event seen
	all   []Event // the events of this operation, oldest first
}

// baseline records the newest event before the operation: one page.
func (s *eventStream) baseline(ctx context.Context) error {
	out, err := s.d.cf.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(s.stack)})
	if err != nil {
		return err
	}
	if len(out.StackEvents) > 0 {
		s.last = aws.ToString(out.StackEvents[0].EventId)
	}
	return nil
}

// poll reads the new events and hands them to Config.Events. Events are
// for the reader: a failure to read them is logged, not returned.
func (s *eventStream) poll(ctx context.Context) {
	p := cloudformation.NewDescribeStackEventsPaginator(s.d.cf, &cloudformation.DescribeStackEventsInput{StackName: aws.String(s.stack)})
	var fresh []types.StackEvent
pages:
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			s.d.log.Warn("reading the stack's events", "stack", s.stack, "error", err)
			return
		}
		for _, e := range page.StackEvents {
			if s.last != "" && aws.ToString(e.EventId) == s.last {
				break pages
			}
			fresh = append(fresh, e)
		}
	}
	if len(fresh) == 0 {
		return
	}
	s.last = aws.ToString(fresh[0].EventId)
	slices.Reverse(fresh)
	batch := make([]Event, len(fresh))
	for i, e := range fresh {
		batch[i] = Event{
			Time: aws.ToTime(e.Timestamp), LogicalID: aws.ToString(e.LogicalResourceId), PhysicalID: aws.ToString(e.PhysicalResourceId),
			Type: aws.ToString(e.ResourceType), Status: string(e.ResourceStatus), Reason: aws.ToString(e.ResourceStatusReason),
		}
	}
	s.all = append(s.all, batch...)
	if s.d.c.Events != nil {
		s.d.c.Events(batch)
	}
}

// rootCause is the first failed event of a resource (not the stack's own,
// which names the resources) that was not merely cancelled because another
// failed; failing that, the first failed event.
func (s *eventStream) rootCause() *Event {
	var first *Event
	for i := range s.all {
		e := &s.all[i]
		if !e.failed() {
			continue
		}
		if first == nil {
			first = e
		}
		if !e.cancelled() && !(e.Type == "AWS::CloudFormation::Stack" && e.LogicalID == s.stack) {
			return e
		}
	}
	return first
}
