package embedded

// WithChunkSize exports withChunkSize to the tests.
var WithChunkSize = withChunkSize
