/// Why a WireGuard key or key file was refused.
public struct WireGuardKeyError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable {
        case wrongLength
        case invalidBase64
        case invalidHex
        case invalidBase32
        case invalidKey
        /// A private key file that group or others may read or write.
        case insecurePermissions
        /// Reading or writing the key file failed.
        case fileAccess
    }

    public var code: Code
    public var message: String
    /// The underlying failure, where there is one (a ``SystemError``).
    public var cause: SystemError?

    public init(_ code: Code, _ message: String, cause: SystemError? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        cause.map { "\(message): \($0)" } ?? message
    }
}
