// VigilDetections
//
// Supply-chain checks that need no prior indicator: data hidden in signatures, sideloading setups, image payloads, dylib hijacking.
