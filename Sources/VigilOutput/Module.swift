// VigilOutput
//
// Renderers for findings: text, JSON, JSON Lines and SARIF 2.1.0.
