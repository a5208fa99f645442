package taskdef_test

import (
	"fmt"

	"github.com/ferry-ci/ferry/pkg/taskdef"
)

func Example() {
	in, err := taskdef.Parse([]byte(`{
	  "family": "web",
	  "networkMode": "awsvpc",
	  "requiresCompatibilities": ["FARGATE"],
	  "cpu": "256", "memory": "512",
	  "containerDefinitions": [{"name": "web", "image": "nginx:1.26"}]
	}`))
	if err != nil {
		panic(err)
	}
	images, err := taskdef.ParseImages([]string{"web=nginx:1.27"})
	if err != nil {
		panic(err)
	}
	env, err := taskdef.ParseEnvironment([]string{"web:GREETING=hello=world"})
	if err != nil {
		panic(err)
	}
	out, err := taskdef.Render(in, taskdef.Overrides{Images: images, Environment: env})
	if err != nil {
		panic(err)
	}
	diff, err := taskdef.Diff(in, out)
	if err != nil {
		panic(err)
	}
	fmt.Print(diff)
	// Output:
	// --- a
	// +++ b
	// @@ -1,8 +1,14 @@
	//  {
	//    "containerDefinitions": [
	//      {
	// +      "environment": [
	// +        {
	// +          "name": "GREETING",
	// +          "value": "hello=world"
	// +        }
	// +      ],
	//        "essential": true,
	// -      "image": "nginx:1.26",
	// +      "image": "nginx:1.27",
	//        "name": "web"
	//      }
	//    ],
}
