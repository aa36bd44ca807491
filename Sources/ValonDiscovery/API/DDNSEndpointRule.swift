import ValonKit

/// What the DDNS API accepts as a LAN endpoint (422 otherwise, docs/ARCHITECTURE.md §7): `ipv4:port` or
/// `[ipv6]:port` with a port of 1–65535, where other peers could really send packets. So
/// not the unspecified address, loopback, multicast or the IPv4 broadcast address, and not
/// an address inside the WireGuard network itself (a tunnel cannot run through itself).
/// The original client's two offline markers are not endpoints but a request to clear it
/// (``update(_:tunnelNetworks:)``).
enum DDNSEndpointRule {
    /// What a `POST /api/endpoint` asks for.
    enum Update: Equatable {
        /// Set the LAN endpoint to this.
        case set(Endpoint)
        /// Clear the LAN endpoint: the body held one of the original client's offline
        /// markers (``offlineMarkers``), the text given here.
        case clear(marker: String)
    }

    /// The original bash client's words for "no LAN endpoint" (docs/ARCHITECTURE.md §3): `""` when it
    /// finds no LAN address and `"0.0.0.0:0"` to say it is offline. Exactly these two; any
    /// other text is an endpoint and must pass ``validate(_:tunnelNetworks:)``.
    static let offlineMarkers: Set<String> = ["", "0.0.0.0:0"]

    /// The update `text` asks for: a clear for an offline marker, else the validated
    /// endpoint (422 when it is not one).
    static func update(_ text: String, tunnelNetworks: [IPNetwork]) throws(DDNSError) -> Update {
        if offlineMarkers.contains(text) { return .clear(marker: text) }
        return .set(try validate(text, tunnelNetworks: tunnelNetworks))
    }

    static func validate(_ text: String, tunnelNetworks: [IPNetwork]) throws(DDNSError) -> Endpoint {
        guard let endpoint = Endpoint(text) else {
            throw DDNSError(.invalidEndpoint,
                            "invalid lan_endpoint \"\(text.prefix(64))\": expected ipv4:port or [ipv6]:port with a port of 1-65535")
        }
        if let why = unusable(endpoint.address) {
            throw DDNSError(.invalidEndpoint, "invalid lan_endpoint \(endpoint): \(why)")
        }
        if let network = tunnelNetworks.first(where: { $0.contains(endpoint.address) }) {
            throw DDNSError(.invalidEndpoint, "invalid lan_endpoint \(endpoint): it is inside the WireGuard network \(network)")
        }
        return endpoint
    }

    /// Why no peer could reach this address, or `nil` when it is usable.
    static func unusable(_ address: IPAddress) -> String? {
        let bytes = address.bytes
        switch address {
        case .v4:
            if bytes.allSatisfy({ $0 == 0 }) { return "the unspecified address" }
            if bytes[0] == 0 { return "an address of \"this network\" (0.0.0.0/8)" }
            if bytes[0] == 127 { return "a loopback address" }
            if bytes[0] >= 224 && bytes[0] <= 239 { return "a multicast address" }
            if bytes.allSatisfy({ $0 == 255 }) { return "the broadcast address" }
            if bytes[0] >= 240 { return "a reserved address (240.0.0.0/4)" }
        case .v6:
            if bytes.allSatisfy({ $0 == 0 }) { return "the unspecified address" }
            if bytes.dropLast().allSatisfy({ $0 == 0 }) && bytes.last == 1 { return "the loopback address" }
            if bytes[0] == 0xff { return "a multicast address" }
        }
        return nil
    }
}
