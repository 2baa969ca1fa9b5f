// VigilScan
//
// The file sweep behind vigil scan: walking, capped reads, hashing, indicator and YARA matching, structural checks.
