/// The cross-platform userspace configuration protocol of WireGuard
/// (https://www.wireguard.com/xplatform/), spoken by `wireguard-go` and other userspace
/// implementations over the UNIX stream socket `/var/run/wireguard/NAME.sock`.
///
/// A request is `get=1` or `set=1` followed by `key=value` lines and a blank line. Keys
/// are lowercase hex, numbers are decimal, and every reply ends in `errno=N` and a blank
/// line. This namespace holds the pure encoder and parser (``setRequest(for:)``,
/// ``parseGetReply(_:device:)``, ``parseSetReply(_:device:)``); ``WireGuardUAPIBackend``
/// moves the bytes.
public enum WireGuardUAPI {
    /// The directory of the control sockets on Linux.
    public static let defaultSocketDirectory = "/var/run/wireguard"

    /// The request that reads a device.
    public static let getRequest: [UInt8] = Array("get=1\n\n".utf8)

    /// Throws ``WireGuardError/Code/invalidArgument`` for an update that a userspace
    /// implementation would refuse part-way through, after applying the lines before the
    /// bad one (wireguard-go applies a `set` line by line): so a refused update is refused
    /// before anything is sent.
    public static func validate(_ update: WireGuardDevice, device: String) throws(WireGuardError) {
        for peer in update.peers where !peer.flags.contains(.remove) {
            if let endpoint = peer.endpoint, endpoint.port == 0 {
                throw WireGuardError(.invalidArgument, operation: "set", device: device,
                                     "peer \(peer.publicKey): endpoint \(endpoint) has port 0")
            }
            if let version = peer.protocolVersion, version != 1 {
                throw WireGuardError(.invalidArgument, operation: "set", device: device,
                                     "peer \(peer.publicKey): protocol version \(version) is not 1")
            }
        }
    }
}
