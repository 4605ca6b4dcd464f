// Build and push container images with docker buildx, with a registry build cache that is on by default.
package dockerbuild
