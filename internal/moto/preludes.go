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
