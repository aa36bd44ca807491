import Hummingbird
import ValonKit

/// A refused DDNS request: the HTTP status of docs/ARCHITECTURE.md §7 and a message for the caller,
/// sent as `{"success": false, "message": "…"}`.
public struct DDNSError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The body is not the expected JSON object (400).
        case malformedRequest
        /// The body is larger than ``DDNSLimits/maxBodySize`` (413).
        case bodyTooLarge
        /// No peer has the public key (404).
        case unknownKey
        /// The caller is not the peer it names, or the alias is not the peer's (403).
        case forbidden
        /// The endpoint is not a usable `ip:port` (422).
        case invalidEndpoint
        /// The caller's rate limit is used up (429).
        case tooManyRequests
        /// etcd cannot be reached; try again later (503).
        case unavailable
        /// The registry kept changing under the write (409).
        case conflict
    }

    public var code: Code
    public var message: String
    /// The registry failure behind `.unavailable` or `.conflict`.
    public var cause: RegistryError?

    public init(_ code: Code, _ message: String, cause: RegistryError? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// The HTTP status docs/ARCHITECTURE.md §7 gives this refusal.
    public var status: HTTPResponse.Status {
        switch code {
        case .malformedRequest: .badRequest
        case .bodyTooLarge: .contentTooLarge
        case .unknownKey: .notFound
        case .forbidden: .forbidden
        case .invalidEndpoint: .unprocessableContent
        case .tooManyRequests: .tooManyRequests
        case .unavailable: .serviceUnavailable
        case .conflict: .conflict
        }
    }

    public var description: String {
        cause.map { "\(message): \($0)" } ?? message
    }

    /// The registry failure as the API reports it: etcd down → 503, a lost race → 409,
    /// a vanished peer → 404.
    init(registry error: RegistryError, _ what: String) {
        switch error.code {
        case .peerNotFound: self.init(.unknownKey, "\(what): no peer has this key", cause: error)
        case .conflict: self.init(.conflict, "\(what): the peer kept changing; try again", cause: error)
        case .invalidEndpoint: self.init(.invalidEndpoint, error.message, cause: error)
        case .invalidRelay: self.init(.malformedRequest, error.message, cause: error)
        case .relayPortsExhausted: self.init(.unavailable, "\(what): \(error.message)", cause: error)
        default: self.init(.unavailable, "\(what): the registry (etcd) is unreachable; try again later", cause: error)
        }
    }
}
