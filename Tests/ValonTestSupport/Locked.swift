import Synchronization

/// A value that closures on other threads or tasks share, behind a `Mutex`: the box for
/// what an escaping closure must capture (a `Mutex` itself is not copyable, so it cannot be).
///
/// ```swift
/// let seen = Locked<[String]>([])
/// Task.detached { seen.withLock { $0.append("probe") } }
/// ```
public final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    public init(_ value: Value) {
        mutex = Mutex(value)
    }

    /// The value now; setting it replaces it.
    public var value: Value {
        get { mutex.withLock { $0 } }
        set { mutex.withLock { $0 = newValue } }
    }

    /// Runs `body` with the value while holding the lock.
    public func withLock<Result: Sendable, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try mutex.withLock { (value) throws(Failure) -> Result in try body(&value) }
    }
}
