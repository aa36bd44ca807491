/// A failed system call: which call, on what, and the `errno` it set.
///
/// The value is pure; making one from a failed call is the system edge's job: ValonKit's
/// `init(operation:target:errno:)` fills in ``reason`` with `strerror(errno)`, and its
/// `retryingOnInterrupt(_:target:_:)` retries `EINTR` and throws this for any other failure.
/// ValonCore only carries it, as the ``cause`` of its error types.
public struct SystemError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The system call or operation, for example `"open"` or `"sendto"`.
    public var operation: String
    /// What it acted on: a path, an address, an interface name; empty when there is none.
    public var target: String
    /// The `errno` value.
    public var errno: Int32
    /// `strerror(errno)`, as it was when the error was made.
    public var reason: String

    public init(operation: String, target: String = "", errno: Int32, reason: String) {
        self.operation = operation
        self.target = target
        self.errno = errno
        self.reason = reason
    }

    public var description: String {
        target.isEmpty
            ? "\(operation): \(reason) (errno \(errno))"
            : "\(operation) \(target): \(reason) (errno \(errno))"
    }
}
