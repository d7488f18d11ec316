//go:build !amd64

package reduce

// base64Wide is whether base64Blocks may run: only on amd64.
var base64Wide = false

// base64Blocks decodes nothing here (see base64_amd64.go).
func base64Blocks(s []byte) int { return 0 }
