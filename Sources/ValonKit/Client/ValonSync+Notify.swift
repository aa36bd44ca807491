/// NOTIFY (docs/ARCHITECTURE.md §12): whom `valon-sync --follow` takes NOTIFY from.
extension ValonSync {
    /// The WireGuard addresses of every discovery node the client knows (RFC 1996 §3.10
    /// has a secondary take NOTIFY only from its known masters): the configured node (the
    /// address of `DISCOVERY_DNS`, inside the tunnel), each `DISCOVERY_FALLBACKS` entry's
    /// `wg_ip`, and the nodes the last zone read published (kept in the state file, §11).
    /// A state file that cannot be read adds nothing; the sync reports that error itself.
    public func notifyNodes() -> Set<IPAddress> {
        let config = options.config
        var nodes = Set(config.discoveryFallbacks.map(\.wgIP))
        if let configured = config.discoveryDNS.address { nodes.insert(configured) }
        if let state = try? ClientState.load(directory: options.stateDirectory, interface: config.interface) {
            nodes.formUnion((state.discoveryNodes ?? []).map(\.wgIP))
        }
        return nodes
    }

    /// Where `--follow` listens for NOTIFY: `OWN_WG_IP` at `port`, or `nil` when the port is 0 (off).
    public func notifyEndpoint(port: UInt16) -> Endpoint? {
        port == 0 ? nil : Endpoint(address: options.config.ownWireGuardIP, port: port)
    }
}
