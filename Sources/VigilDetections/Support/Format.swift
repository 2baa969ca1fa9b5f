/// Formats a number with two decimals for explanations (Foundation-free).
func decimal2(_ value: Double) -> String {
    guard value.isFinite else { return String(value) }
    let scaled = Int((value * 100).rounded())
    let fraction = abs(scaled % 100)
    return "\(scaled / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}

/// `0x…` rendering of an offset.
func hex(_ value: Int) -> String { "0x" + String(value, radix: 16) }
