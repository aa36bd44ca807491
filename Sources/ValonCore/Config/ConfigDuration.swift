import FoundationEssentials

/// Durations written as Go's `time.ParseDuration` and CoreDNS write them: a sequence of
/// decimal numbers with units `ns`, `us` (`µs`), `ms`, `s`, `m`, `h`: `1s`, `500ms`, `1m30s`, `1.5s`.
/// A bare integer is taken as seconds, as several CoreDNS plugins do.
public enum ConfigDuration {
    /// Parses `text`, or returns `nil` when it is not a duration or is negative.
    public static func parse(_ text: some StringProtocol) -> Duration? {
        let string = String(text).trimmingSpaces()
        guard !string.isEmpty else { return nil }
        if let seconds = Int(string), seconds >= 0 { return .seconds(seconds) }
        let units: [(String, Double)] = [
            ("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600),
        ]
        var rest = Substring(string)
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            // Longest unit first: "ms" before "m", "ns" before nothing.
            guard let unit = units.sorted(by: { $0.0.count > $1.0.count }).first(where: { rest.hasPrefix($0.0) }) else {
                return nil
            }
            rest = rest.dropFirst(unit.0.count)
            total += value * unit.1
        }
        guard total.isFinite, total >= 0, total < 1e9 else { return nil }
        let nanoseconds = (total * 1e9).rounded()
        return .nanoseconds(Int64(nanoseconds))
    }
}

