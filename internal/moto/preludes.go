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

// PreludeChangeSetOutputs is an [Options.Prelude] that gives a stack the
// outputs of the template a change set brought, as CloudFormation does.
//
// The defect: moto 5.2.1's ExecuteChangeSet updates the stack's resources
// and template text but not its parsed template nor its outputs, so a
// stack created through a change set (ChangeSetType CREATE) has no outputs
// at all, and one updated through a change set keeps its old ones.
// pkg/cfn's moto tests use it to read the outputs deploy-cloudformation
// sets; they fail without it.
const PreludeChangeSetOutputs = `
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
`
