import ValonKit

/// What the discovery node needs to know about its WireGuard interface before it starts:
/// that it exists and is WireGuard, and its addresses (the discovery node's own WireGuard
/// addresses, answered for `discovery.<zone>`, and the networks they are in, which bound
/// the registry's addresses and are allowed to transfer the zone by default).
public struct DiscoveryInterface: Sendable, Hashable {
    public var name: String
    /// The interface's addresses with their prefixes (`100.100.0.1/24`), IPv6 link-local
    /// addresses left out.
    public var addresses: [IPNetwork]
    /// The interface's own public key, when it has a private key.
    public var publicKey: WireGuardKey?

    public init(name: String, addresses: [IPNetwork], publicKey: WireGuardKey? = nil) {
        self.name = name
        self.addresses = addresses
        self.publicKey = publicKey
    }

    /// The networks the addresses are in (`100.100.0.0/24`).
    public var networks: [IPNetwork] {
        var seen = Set<IPNetwork>()
        return addresses.map(\.canonical).filter { seen.insert($0).inserted }
    }

    /// Checks the interface over rtnetlink and its WireGuard backend, and reads its addresses.
    public static func inspect(_ name: String, backend: any WireGuardBackend,
                               routes: () throws(NetlinkError) -> RouteNetlinkClient) throws(DiscoveryError) -> DiscoveryInterface {
        let client: RouteNetlinkClient
        do {
            client = try routes()
        } catch {
            throw DiscoveryError(.addresses, "cannot open an rtnetlink socket to look at the interface \(name)", cause: error)
        }
        do {
            _ = try client.interfaceIndex(name: name)
        } catch {
            throw DiscoveryError(.interfaceMissing,
                                 "the WireGuard interface \(name) does not exist (wg_interface); create it and bring it up first",
                                 cause: error)
        }
        let device: WireGuardDevice
        do {
            device = try backend.device(named: name)
        } catch {
            throw DiscoveryError(.notWireGuard, "the interface \(name) cannot be read as a WireGuard device", cause: error)
        }
        let addresses: [InterfaceAddress]
        do {
            addresses = try client.addresses(interface: name)
        } catch {
            throw DiscoveryError(.addresses, "cannot read the addresses of the interface \(name)", cause: error)
        }
        let usable = addresses.map(\.network).filter { network in
            if case .v6 = network.address, network.address.bytes[0] == 0xfe, network.address.bytes[1] & 0xc0 == 0x80 {
                return false
            }
            return true
        }
        return DiscoveryInterface(name: name, addresses: usable, publicKey: device.publicKey)
    }
}
