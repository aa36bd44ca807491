/// At most one log line per ``interval`` for one kind of event, and how many were left
/// out since the last line, so a flood of junk costs a line every few seconds, not one per
/// datagram.
public struct LogThrottle: Sendable {
    public let interval: Duration
    private var lastLogged: ContinuousClock.Instant?
    private var suppressed = 0

    public init(interval: Duration) {
        self.interval = interval
    }

    /// Whether an event at `now` is logged, and how many events since the last logged one
    /// were not (to say so in the line).
    public mutating func admit(at now: ContinuousClock.Instant) -> (log: Bool, suppressed: Int) {
        if let lastLogged, now - lastLogged < interval {
            suppressed += 1
            return (false, 0)
        }
        let left = suppressed
        lastLogged = now
        suppressed = 0
        return (true, left)
    }
}
