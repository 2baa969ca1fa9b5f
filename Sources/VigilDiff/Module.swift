// VigilDiff
//
// Release comparison behind vigil diff.
