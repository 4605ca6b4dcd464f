// Build the demo app and push it to a registry (default: the local one),
// with the registry build cache on (the provider's default).
//
//	pulumi config set registry 123456789012.dkr.ecr.us-east-1.amazonaws.com
package main

import (
	"fmt"

	"github.com/pulumi/pulumi-docker-build/sdk/go/dockerbuild"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		conf := config.New(ctx, "")
		registry := conf.Get("registry")
		if registry == "" {
			registry = "127.0.0.1:5000"
		}
		repository := conf.Get("repository")
		if repository == "" {
			repository = "docker-build-example-go"
		}
		image, err := dockerbuild.NewImage(ctx, "app", &dockerbuild.ImageArgs{
			Push:    pulumi.Bool(true),
			Tags:    pulumi.StringArray{pulumi.String(fmt.Sprintf("%s/%s:latest", registry, repository))},
			Context: &dockerbuild.BuildContextArgs{Location: pulumi.String("../app")},
		})
		if err != nil {
			return err
		}
		ctx.Export("ref", image.Ref)
		ctx.Export("digest", image.Digest)
		// Where the cache lives, whether it was there, how many steps it served.
		ctx.Export("cacheReport", image.CacheReport)
		return nil
	})
}
