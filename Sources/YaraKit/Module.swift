// YaraKit
//
// Swift wrapper around libyara. No YR_* type or unsafe pointer leaves this module.
