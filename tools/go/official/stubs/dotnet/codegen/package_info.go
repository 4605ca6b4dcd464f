// Package codegen stands in for pulumi-dotnet's codegen package, which the
// Go module proxy here does not serve. The official provider imports it
// only for this struct, which fills the C# section of its schema's
// language metadata; nothing the side-by-side runs exercise reads it.
package codegen

// CSharpPackageInfo is the C# language metadata of a package schema.
type CSharpPackageInfo struct {
	RespectSchemaVersion bool              `json:"respectSchemaVersion,omitempty"`
	PackageReferences    map[string]string `json:"packageReferences,omitempty"`
}
