#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension SystemError {
    /// The error of a failed call with this `errno`; ``SystemError/reason`` is `strerror(errno)`.
    public init(operation: String, target: String = "", errno: Int32) {
        self.init(operation: operation, target: target, errno: errno, reason: String(cString: strerror(errno)))
    }
}

/// Runs a system call, retrying it while it fails with `EINTR`, and throws
/// ``SystemError`` for any other failure (a result of -1).
///
/// Every syscall in ValonKit goes through this, so that `EINTR` is retried and any other
/// failure becomes a typed error with a message that names what failed and where.
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
