/// A bounded wait that ran out.
public struct Timeout: Error, CustomStringConvertible {
    public var description: String

    public init(description: String) {
        self.description = description
    }
}

/// Polls `condition` every 50 ms until it holds; throws after `limit` (a bound on a wait,
/// never an assertion about speed). The default is generous: the whole suite on two cores has
/// held every task of the process for 20 s and more at its start.
public func eventually(_ what: String, limit: Duration = .seconds(90), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    if try await condition() { return }
    throw Timeout(description: "timed out waiting for \(what)")
}
