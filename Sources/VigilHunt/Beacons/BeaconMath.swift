/// RITA v5's beacon scoring, reimplemented from the formulas (RITA is GPL-3.0; no code was copied).
///
/// For one pair (client → destination) with connection timestamps `t_1 ≤ … ≤ t_n` (whole seconds,
/// inside the analysis window `[min, max]`) and client-sent byte counts `b_1 … b_n`:
///
/// **Statistical score** (shared by timestamps and sizes), over a sorted list `x`:
/// - quartiles as montanaflynn/stats `Quartile`: `Q2 = median(x)`; `Q1`, `Q3` = medians of the lower
///   and upper halves, the middle element left out when `n` is odd; the median of an even list is the
///   mean of its two middle values;
/// - Bowley skew `= (Q1 + Q3 − 2·Q2) / (Q3 − Q1)`, taken as 0 unless `Q3 − Q1 ≥ 10`, `Q2 ≠ Q1` and
///   `Q2 ≠ Q3`; `skewScore = 1 − |skew|`;
/// - `MAD = median(|x_i − Q2|)`; `madScore = (Q2 − MAD) / Q2` when `Q2 ≥ 1`, else a default (1 for
///   timestamps, 0 for sizes); negative or NaN becomes 0;
/// - `score = round(((skewScore + madScore) / 2) · 1000) / 1000`.
///
/// **Timestamp score**: the statistical score over the gaps `d_i = t_{i+1} − t_i` with `d_i > 0` only
/// (needs ≥ 4 timestamps and ≥ 3 non-zero gaps).
///
/// **Data-size score**: the statistical score over all `b_i`, zeros included (needs ≥ 3 sizes).
///
/// **Histogram score**: 24 equal bins over `[min, max]` (`step = (max − min)/24`; `t = max` in the last
/// bin, `t < min` in the first) give counts `h_0 … h_23`;
/// - `cv = sd(h) / mean(h)` (population), `cvScore = 0` if `cv > 1` else `round((1 − cv)·1000)/1000`;
/// - bimodal: `binSize = ceil(max(h) · 0.05)`; each non-zero bar goes to bucket `floor(h/binSize)`;
///   with `totalBars` non-zero bars, if `totalBars ≥ 11`,
///   `bimodal = min(1, round((c_1 + c_2) / max(totalBars − 1, 1) · 1000)/1000)` where `c_1`, `c_2` are the
///   two largest bucket counts, else 0;
/// - `histScore = max(cvScore, bimodal)`.
///
/// **Duration score** (0 unless `totalBars ≥ 6`): `coverage = min(1, ceil((t_n − t_1)/(max − min)·1000)/1000)`,
/// `consistency = min(1, ceil(longestRun/12·1000)/1000)` where `longestRun` is the longest run of
/// consecutive non-zero bins with wrap-around (capped at 24); `durScore = max(coverage, consistency)`.
///
/// **Beacon score** `= round((ts + ds + dur + hist)/4 · 1000)/1000` (RITA's default weights, 0.25 each).
///
/// A pair is scored when it has ≥ 4 distinct timestamps and fewer than 86,400 connections in the
/// window; 86,400 or more is a *strobe*, reported separately.
public enum BeaconMath {
    /// RITA's minimum number of distinct timestamps.
    public static let minimumUniqueTimestamps = 4
    /// RITA's strobe limit: one connection per second on average over 24 h.
    public static let strobeLimit = 86_400

    static func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
    static func ceil3(_ x: Double) -> Double { (x * 1000).rounded(.up) / 1000 }

    /// The median of a sorted list (mean of the two middle values for even length).
    static func median(_ sorted: ArraySlice<Double>) -> Double {
        let n = sorted.count
        precondition(n > 0)
        let mid = sorted.startIndex + n / 2
        return n % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    /// Quartiles as montanaflynn/stats v0.7.1 `Quartile` (sorted input, n ≥ 2).
    static func quartiles(_ sorted: [Double]) -> (q1: Double, q2: Double, q3: Double) {
        let n = sorted.count
        let c1 = n % 2 == 0 ? n / 2 : (n - 1) / 2
        let c2 = n % 2 == 0 ? n / 2 : c1 + 1
        return (median(sorted[0..<c1]), median(sorted[...]), median(sorted[c2...]))
    }

    /// The statistical score (Bowley skew + MAD) of a sorted list with ≥ 3 values.
    /// - Parameter madDefault: the MAD score used when the median is below 1.
    static func statisticalScore(_ sorted: [Double], madDefault: Double) -> (score: Double, skew: Double, mad: Double, median: Double) {
        let (q1, q2, q3) = quartiles(sorted)
        var skew = 0.0
        let den = q3 - q1
        if den >= 10 && q2 != q1 && q2 != q3 { skew = (q1 + q3 - 2 * q2) / den }
        let skewScore = 1 - abs(skew)
        let deviations = sorted.map { abs($0 - q2) }.sorted()
        let mad = median(deviations[...])
        var madScore = madDefault
        if q2 >= 1 { madScore = (q2 - mad) / q2 }
        if madScore.isNaN || madScore < 0 { madScore = 0 }
        return (round3((skewScore + madScore) / 2), skew, mad, q2)
    }

    /// The timestamp score over sorted timestamps; `nil` with fewer than 4 timestamps or 3 non-zero gaps.
    public static func timestampScore(_ sortedTimestamps: [Double]) -> Double? {
        guard sortedTimestamps.count >= 4 else { return nil }
        var gaps: [Double] = []
        gaps.reserveCapacity(sortedTimestamps.count)
        for i in 1..<sortedTimestamps.count {
            let d = sortedTimestamps[i] - sortedTimestamps[i - 1]
            if d > 0 { gaps.append(d) }
        }
        guard gaps.count >= 3 else { return nil }
        gaps.sort()
        return statisticalScore(gaps, madDefault: 1).score
    }

    /// The timestamp score of a list of gaps (for checking against RITA's unit-test gap lists).
    public static func gapScore(_ gaps: [Double]) -> Double? {
        let g = gaps.filter { $0 > 0 }.sorted()
        guard g.count >= 3 else { return nil }
        return statisticalScore(g, madDefault: 1).score
    }

    /// The data-size score over byte counts (any order); `nil` with fewer than 3 values.
    public static func dataSizeScore(_ sizes: [Double]) -> Double? {
        guard sizes.count >= 3 else { return nil }
        return statisticalScore(sizes.sorted(), madDefault: 0).score
    }

    /// The 24 hourly bars of a pair over the window `[min, max]`.
    public static func histogram(_ timestamps: [Double], min lo: Double, max hi: Double) -> [Int] {
        var bars = [Int](repeating: 0, count: 24)
        let step = (hi - lo) / 24
        for t in timestamps {
            var bin = 0
            if step > 0, t >= lo { bin = Swift.min(23, Int(((t - lo) / step).rounded(.down))) }
            if t >= hi { bin = 23 }
            bars[bin] += 1
        }
        return bars
    }

    /// The histogram score (max of the CV and bimodal sub-scores) and the bars' longest run and bar count.
    public static func histogramScore(_ bars: [Int]) -> (score: Double, longestRun: Int, totalBars: Int) {
        let n = Double(bars.count)
        let total = Double(bars.reduce(0, +))
        let mean = total / n
        var cvScore = 0.0
        if mean > 0 {
            let variance = bars.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
            let cv = variance.squareRoot() / mean
            cvScore = cv > 1 ? 0 : round3(1 - cv)
        }
        let totalBars = bars.filter { $0 > 0 }.count
        var bimodal = 0.0
        if totalBars >= 11, let top = bars.max() {
            let binSize = Swift.max(1, Int((Double(top) * 0.05).rounded(.up)))
            var buckets: [Int: Int] = [:]
            for h in bars where h > 0 { buckets[(h / binSize) * binSize, default: 0] += 1 }
            let counts = buckets.values.sorted(by: >)
            let fit = Double(counts[0] + (counts.count > 1 ? counts[1] : 0)) / Double(Swift.max(totalBars - 1, 1))
            bimodal = Swift.min(1, round3(fit))
        }
        return (Swift.max(cvScore, bimodal), longestRun(bars), totalBars)
    }

    /// Longest run of consecutive non-zero bars, the 24 bars taken as a ring, capped at 24.
    static func longestRun(_ bars: [Int]) -> Int {
        if bars.allSatisfy({ $0 > 0 }) { return bars.count }
        var best = 0, run = 0
        for i in 0..<(2 * bars.count) {
            if bars[i % bars.count] > 0 { run += 1; best = Swift.max(best, run) } else { run = 0 }
        }
        return Swift.min(best, 24)
    }

    /// The duration score.
    public static func durationScore(first: Double, last: Double, min lo: Double, max hi: Double, longestRun: Int, totalBars: Int) -> Double {
        guard totalBars >= 6 else { return 0 }
        let coverage = hi > lo ? Swift.min(1, ceil3((last - first) / (hi - lo))) : 0
        let consistency = Swift.min(1, ceil3(Double(longestRun) / 12))
        return Swift.max(coverage, consistency)
    }

    /// All sub-scores and the combined score of one pair, or `nil` when RITA would not score it.
    public static func score(timestamps: [Double], sizes: [Double], windowMin: Double, windowMax: Double) -> BeaconScores? {
        let sorted = timestamps.sorted()
        guard let ts = timestampScore(sorted), let ds = dataSizeScore(sizes) else { return nil }
        let bars = histogram(sorted, min: windowMin, max: windowMax)
        let (hist, run, totalBars) = histogramScore(bars)
        let dur = durationScore(first: sorted.first!, last: sorted.last!, min: windowMin, max: windowMax, longestRun: run, totalBars: totalBars)
        return BeaconScores(score: round3((ts + ds + dur + hist) / 4), timestamp: ts, dataSize: ds, histogram: hist, duration: dur, hourlyBars: bars)
    }
}

/// The component scores of one beacon candidate, each in 0…1.
public struct BeaconScores: Sendable, Hashable, Codable {
    /// The combined beacon score: the mean of the four components.
    public var score: Double
    /// Regularity of the gaps between connections.
    public var timestamp: Double
    /// Regularity of the client-sent byte counts.
    public var dataSize: Double
    /// Flatness or two-level shape of the 24 hourly bars.
    public var histogram: Double
    /// How much of the window the pair covers, or its longest run of active hours.
    public var duration: Double
    /// Connections per 1/24 of the window.
    public var hourlyBars: [Int]
}
