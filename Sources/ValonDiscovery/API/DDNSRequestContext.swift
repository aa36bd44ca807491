import Hummingbird
import NIOCore

/// The request context of the DDNS API: Hummingbird's core context plus the TCP peer's
/// address, taken from the accepted channel and nothing else. Forwarding headers
/// (`X-Forwarded-For`, `Forwarded`, `X-Real-IP`) never reach it (docs/ARCHITECTURE.md §7).
public struct DDNSRequestContext: RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The address the request's TCP connection comes from.
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// Bodies over 4 KiB are refused with 413 (docs/ARCHITECTURE.md §7).
    public var maxUploadSize: Int { DDNSLimits.maxBodySize }
}

/// Fixed limits of the DDNS API.
public enum DDNSLimits {
    /// The largest request body accepted, in bytes.
    public static let maxBodySize = 4096
    /// The `Retry-After` seconds sent with 503 while etcd is unreachable.
    public static let retryAfterSeconds = 5
}
