// VigilFormats
//
// PE/COFF with Authenticode, Mach-O with code signatures, ICO and PNG: bounds-checked parsers that never trap on hostile input.
