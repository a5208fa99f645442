package moto

// PreludeWeightedListener is an [Options.Prelude] that patches moto's
// CloudFormation handler for listeners so that a weighted forward default
// action is taken as given — as the ELBv2 API (CreateListener) and moto's
// own ListenerRule handler already take it, and as CloudFormation does on
// AWS. Any other action still goes through moto's handler.
//
// The defect: moto 5.2.1's AWS::ElasticLoadBalancingV2::Listener reads only
// a forward action's TargetGroupArn, so a weighted forward (ForwardConfig)
// fails CreateStack with HTTP 500 (KeyError: 'TargetGroupArn'). Without the
// prelude moto cannot create examples/infra/ferry-reference.yml's listener
// at all; examples/infra's TestMotoListenerDefect shows it and fails once
// moto is fixed, when this prelude should go.
const PreludeWeightedListener = `
import moto.elbv2.models as _elbv2
_convert = _elbv2.ELBv2Backend.convert_and_validate_properties
def _pass_forward_config(self, properties):
    actions = []
    for action in properties["DefaultActions"]:
        if action.get("Type") == "forward" and "TargetGroupArn" not in action:
            actions.append(action)
        else:
            actions.extend(_convert(self, {"DefaultActions": [action]}))
    return actions
_elbv2.ELBv2Backend.convert_and_validate_properties = _pass_forward_config
`

// PreludeChangeSets is an [Options.Prelude] that makes moto's change sets
// behave as CloudFormation's in two ways pkg/cfn relies on.
//
// The defects, both of moto 5.2.1:
//   - ExecuteChangeSet updates the stack's resources and template text but
//     not its parsed template nor its outputs, so a stack created through a
//     change set (ChangeSetType CREATE) has no outputs at all, and one
//     updated through a change set keeps its old ones. The patch rebuilds
//     the outputs after the execution.
//   - A CREATE change set for a stack that waits in REVIEW_IN_PROGRESS (a
//     change set planned, never executed) makes a second stack of the same
//     name, which DescribeStacks never shows; on AWS the change set is the
//     waiting stack's. The patch makes it that stack's.
//
// pkg/cfn's and deploy-cloudformation's moto tests use it; they fail
// without it (no outputs).
const PreludeChangeSets = `
import moto.cloudformation.models as _cfn
_execute_change_set = _cfn.CloudFormationBackend.execute_change_set
def _execute_with_outputs(self, change_set_name, stack_name=None):
    _execute_change_set(self, change_set_name, stack_name)
    for cs in list(self.change_sets.values()):
        if change_set_name in (cs.change_set_id, cs.change_set_name):
            stack = self.stacks[cs.stack_id]
            stack._parse_template()
            stack.output_map = stack._create_output_map()
_cfn.CloudFormationBackend.execute_change_set = _execute_with_outputs
_create_change_set = _cfn.CloudFormationBackend.create_change_set
def _create_for_review_stack(self, stack_name, change_set_name, template, parameters, description, change_set_type, notification_arns=None, tags=None, role_arn=None):
    review = [s for s in self.stacks.values() if s.name == stack_name and s.status == "REVIEW_IN_PROGRESS"]
    if change_set_type != "CREATE" or not review:
        return _create_change_set(self, stack_name, change_set_name, template, parameters, description, change_set_type, notification_arns, tags, role_arn)
    review[0].template = "{}"  # moto keeps a dict there, which its UPDATE path cannot parse
    cs_id, _ = _create_change_set(self, stack_name, change_set_name, template, parameters, description, "UPDATE", notification_arns, tags, role_arn)
    self.change_sets[cs_id].change_set_type = "CREATE"
    return cs_id, review[0].stack_id
_cfn.CloudFormationBackend.create_change_set = _create_for_review_stack
`
