#if canImport(Glibc)
import Glibc
#endif

/// The kernel's WireGuard over generic netlink (libmnl), what `wg` uses on Linux.
///
/// Each call opens its own sockets: it resolves the `wireguard` family
/// (`CTRL_CMD_GETFAMILY`), then reads the device with a `WG_CMD_GET_DEVICE` dump or
/// applies an update with as many `WG_CMD_SET_DEVICE` messages as it needs (see
/// ``WireGuardNetlink/setDeviceRequests(_:name:family:limit:)``). Kernel errors become
/// ``WireGuardError`` with the `errno`: `ENODEV` is ``WireGuardError/Code/noSuchDevice``,
/// `EPERM` ``WireGuardError/Code/permissionDenied``, others ``WireGuardError/Code/kernel(errno:)``.
public struct WireGuardNetlinkBackend: WireGuardBackend {
    /// Opens a netlink socket for a bus; tests pass one that opens it in a namespace.
    public typealias SocketOpener = @Sendable (Int32) throws(NetlinkError) -> NetlinkSocket

    private let openSocket: SocketOpener
    /// The largest `WG_CMD_SET_DEVICE` message.
    public let messageLimit: Int

    public init(messageLimit: Int = WireGuardNetlink.defaultMessageLimit,
                openSocket: @escaping SocketOpener = { bus throws(NetlinkError) in try NetlinkSocket(bus: bus) }) {
        self.messageLimit = messageLimit
        self.openSocket = openSocket
    }

    public func listDevices() throws(WireGuardError) -> [String] {
        try mapping("list", "") { () throws(NetlinkError) in
            let client = RouteNetlinkClient(socket: try openSocket(Netlink.Bus.route))
            return try client.links().filter { $0.kind == WireGuardNetlink.familyName }.map(\.name).sorted()
        }
    }

    public func device(named name: String) throws(WireGuardError) -> WireGuardDevice {
        try WireGuardInterfaceName.validate(name, operation: "get")
        return try mapping("get", name) { () throws(NetlinkError) in
            let socket = try openSocket(Netlink.Bus.generic)
            let family = try Self.resolveFamily(socket)
            let replies = try socket.request(WireGuardNetlink.getDeviceRequest(family: family, name: name),
                                             operation: "WG_CMD_GET_DEVICE", target: name)
            return try WireGuardNetlink.device(from: replies, name: name)
        }
    }

    public func apply(_ update: WireGuardDevice, to name: String) throws(WireGuardError) {
        try WireGuardInterfaceName.validate(name, operation: "set")
        try mapping("set", name) { () throws(NetlinkError) in
            let socket = try openSocket(Netlink.Bus.generic)
            let family = try Self.resolveFamily(socket)
            let messages = WireGuardNetlink.setDeviceRequests(update, name: name, family: family, limit: messageLimit)
            for (index, message) in messages.enumerated() {
                let part = messages.count == 1 ? "" : " (message \(index + 1) of \(messages.count))"
                _ = try socket.request(message, operation: "WG_CMD_SET_DEVICE\(part)", target: name)
            }
        }
    }

    /// The id of the `wireguard` generic netlink family; ``NetlinkError/Code/noWireGuardInKernel``
    /// when the kernel has none (`ENOENT`).
    static func resolveFamily(_ socket: NetlinkSocket) throws(NetlinkError) -> UInt16 {
        let replies: [NetlinkReply]
        do {
            replies = try socket.request(WireGuardNetlink.getFamilyRequest(), operation: "CTRL_CMD_GETFAMILY",
                                         target: WireGuardNetlink.familyName)
        } catch where error.code == .kernel && error.errno == ENOENT {
            throw NetlinkError(.noWireGuardInKernel, "the kernel has no \"wireguard\" generic netlink family",
                               cause: error.cause)
        }
        guard let reply = replies.first,
              let id = try reply.attributes(after: GenericNetlink.headerSize).first(GenericNetlink.familyIDAttribute)?.u16 else {
            throw NetlinkError(.malformedReply, "CTRL_CMD_GETFAMILY wireguard: no CTRL_ATTR_FAMILY_ID in the reply")
        }
        return id
    }

    /// Runs `body`, turning a ``NetlinkError`` into the matching ``WireGuardError``.
    private func mapping<T>(_ operation: String, _ name: String, _ body: () throws(NetlinkError) -> T) throws(WireGuardError) -> T {
        do {
            return try body()
        } catch {
            throw Self.wireGuardError(error, operation: operation, device: name)
        }
    }

    static func wireGuardError(_ error: NetlinkError, operation: String, device: String) -> WireGuardError {
        let code: WireGuardError.Code
        switch error.code {
        case .socket:
            code = error.errno == EPERM || error.errno == EACCES ? .permissionDenied : .system
        case .malformedReply:
            code = .protocolError
        case .noWireGuardInKernel:
            code = .noSuchDevice
        case .kernel:
            switch error.errno ?? 0 {
            case ENODEV, ENOENT: code = .noSuchDevice
            case EPERM, EACCES: code = .permissionDenied
            case let errno: code = .kernel(errno: errno)
            }
        }
        return WireGuardError(code, operation: operation, device: device, error.message, cause: error.cause)
    }
}
