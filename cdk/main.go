// Command cdk is barrage's CDK app: one stack per account and region.
//
//	cd cdk && npx aws-cdk@2.1148.1 deploy -c allowedTargets=idp.example.com,*.internal.example.com
//
// Context values (-c key=value) set the stack's props; see README.md.
package main

import (
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	props, err := propsFromContext(func(k string) any { return app.Node().TryGetContext(&k) })
	if err != nil {
		os.Stderr.WriteString("barrage cdk: " + err.Error() + "\n")
		os.Exit(2)
	}
	NewBarrageStack(app, props.stackName, &props.BarrageStackProps)
	app.Synth(nil)
}
