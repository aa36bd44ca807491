import NIOCore
import ValonKit

extension SocketAddress {
    /// The IP address of a TCP peer as the registry writes WireGuard addresses: an
    /// IPv4-mapped IPv6 address (`::ffff:100.100.0.2`, from a dual-stack listener) becomes
    /// the IPv4 address. `nil` for UNIX sockets.
    var callerAddress: IPAddress? {
        guard let text = ipAddress, let address = IPAddress(text) else { return nil }
        if case .v6 = address {
            let bytes = address.bytes
            if bytes.prefix(10).allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
                return IPAddress(bytes: bytes.suffix(4))
            }
        }
        return address
    }
}
