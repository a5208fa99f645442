package awsauth

import (
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// CloudWatchQuery makes a CloudWatch client speak the awsQuery protocol,
// which CloudWatch has always accepted. Since service/cloudwatch v1.53.0 the
// SDK speaks Smithy RPC v2 CBOR by default, which emulators such as moto
// 5.2.1 answer with 404; with this option ferry talks to AWS and to an
// emulator the same way. Pass it to cloudwatch.NewFromConfig.
func CloudWatchQuery(o *cloudwatch.Options) {
	o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
}
