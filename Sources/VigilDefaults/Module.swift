// VigilDefaults
//
// The built-in default indicator set and YARA rules (the published 3CX indicators), embedded in the
// binary so a first run needs no download.
