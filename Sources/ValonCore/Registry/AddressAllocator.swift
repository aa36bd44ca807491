/// Chooses WireGuard addresses for new peers inside the VALON network: the lowest free
/// address, never the network address, the last (broadcast) address, or a discovery
/// node's address.
public struct AddressAllocator: Sendable, Hashable {
    public var network: IPNetwork
    /// Addresses never handed out: the discovery nodes' WireGuard addresses.
    public var reserved: Set<IPAddress>

    public init(network: IPNetwork, reserved: Set<IPAddress> = []) {
        self.network = network.canonical
        self.reserved = reserved
    }

    /// The lowest address that is neither taken nor reserved; `nil` when the network is full.
    public func lowestFree(taken: Set<IPAddress>) -> IPAddress? {
        var candidate = Self.successor(of: network.networkAddress)
        // Among the first taken + reserved + 1 host addresses at least one is free.
        var budget = taken.count + reserved.count + 1
        while let address = candidate, budget > 0, network.contains(address), address != network.lastAddress {
            if !taken.contains(address) && !reserved.contains(address) { return address }
            budget -= 1
            candidate = Self.successor(of: address)
        }
        return nil
    }

    /// Checks a requested address: inside the network, a host address, not reserved.
    /// Whether it is taken is for the caller, who knows by whom.
    public func validate(_ address: IPAddress) throws(RegistryError) {
        guard network.contains(address) else {
            throw RegistryError(.invalidAddress, "address \(address) is outside the network \(network)")
        }
        if address == network.networkAddress {
            throw RegistryError(.invalidAddress, "address \(address) is the network address of \(network)")
        }
        if address == network.lastAddress {
            throw RegistryError(.invalidAddress, "address \(address) is the broadcast (last) address of \(network)")
        }
        if reserved.contains(address) {
            throw RegistryError(.invalidAddress, "address \(address) belongs to the discovery node")
        }
    }

    /// The next address in numeric order; `nil` after the last one of the family.
    static func successor(of address: IPAddress) -> IPAddress? {
        var bytes = address.bytes
        var index = bytes.count - 1
        while index >= 0 {
            if bytes[index] < 0xff {
                bytes[index] += 1
                return IPAddress(bytes: bytes)
            }
            bytes[index] = 0
            index -= 1
        }
        return nil
    }
}
