// VigilHunt
//
// Network log readers, indicator matching and beacon scoring behind vigil hunt.
