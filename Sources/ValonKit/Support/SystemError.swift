#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: which call, on what, and the `errno` it set.
///
/// Every syscall in ValonKit goes through ``retryingOnInterrupt(_:target:_:)`` so that
/// `EINTR` is retried and any other failure becomes this typed error with a message that
/// names what failed and where.
public struct SystemError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The system call or operation, for example `"open"` or `"sendto"`.
    public var operation: String
    /// What it acted on: a path, an address, an interface name; empty when there is none.
    public var target: String
    /// The `errno` value.
    public var errno: Int32

    public init(operation: String, target: String = "", errno: Int32) {
        self.operation = operation
        self.target = target
        self.errno = errno
    }

    /// `strerror(errno)`.
    public var reason: String { String(cString: strerror(errno)) }

    public var description: String {
        target.isEmpty
            ? "\(operation): \(reason) (errno \(errno))"
            : "\(operation) \(target): \(reason) (errno \(errno))"
    }
}

/// Runs a system call, retrying it while it fails with `EINTR`, and throws
/// ``SystemError`` for any other failure (a result of -1).
@discardableResult
@inlinable
public func retryingOnInterrupt<T: BinaryInteger>(
    _ operation: String, target: String = "", _ body: () -> T
) throws(SystemError) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = errno
        if code == EINTR { continue }
        throw SystemError(operation: operation, target: target, errno: code)
    }
}
