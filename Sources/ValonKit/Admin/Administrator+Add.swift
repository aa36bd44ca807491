import Foundation

/// The outcome of `peer add`.
public struct PeerAddition: Sendable, Hashable {
    /// The peer as registered.
    public var peer: Peer
    /// Whether the address was allocated (no `--wg-ip` given).
    public var allocated: Bool
    /// What the client needs: its wg-quick configuration and client.conf.
    public var setup: ClientSetup
    /// Whether the peer was added to the discovery interface now.
    public var interfaceUpdated: Bool
    /// Why it was not, when it was not: the registry entry stays, and valon-discovery's
    /// reconciler adds the peer to the interface (docs/ARCHITECTURE.md §6).
    public var interfaceNote: String?
}

extension Administrator {
    /// `valonctl peer add`: validates, registers the peer in one etcd transaction
    /// (allocating the lowest free address unless one is requested), then adds it to the
    /// discovery interface with `AllowedIPs = <wg ip>/32`.
    ///
    /// The discovery node's public key, which the client's configuration needs, is read
    /// from the interface, or, when the interface does not exist, from
    /// `<keyDirectory>/<interface>.pub` or derived from `<interface>.key`; without any of
    /// them nothing is written and ``AdminError/Code/interface`` is thrown.
    ///
    /// Once the registry holds the peer, the registry is the truth: a failure to change
    /// the interface afterwards does not undo it. It is reported in
    /// ``PeerAddition/interfaceNote`` and the discovery daemon's reconciler adds the peer.
    public func addPeer(publicKey keyText: String, alias: String, address addressText: String? = nil) async throws(AdminError) -> PeerAddition {
        let key: WireGuardKey
        do {
            key = try PeerValidation.key(keyText)
            try PeerValidation.alias(alias)
        } catch {
            throw AdminError(error)
        }
        var address: IPAddress?
        if let addressText {
            guard let parsed = IPAddress(addressText) else {
                throw AdminError(.usage, "\"\(addressText)\" is not an IP address")
            }
            address = parsed
        }
        let device = try readInterface()
        let discoveryKey = try discoveryPublicKey(device)
        guard key != discoveryKey else {
            throw AdminError(.usage, "\(key.base64) is the discovery node's own public key, not a client's")
        }
        let peer = try await registryCall { () async throws(RegistryError) in
            try await registry.add(key: key, alias: alias, address: address)
        }
        var updated = false
        var note: String?
        if device != nil {
            let entry = WireGuardPeer(publicKey: key, allowedIPs: [peer.hostNetwork], flags: .replaceAllowedIPs)
            do {
                try applyToInterface(WireGuardDevice(name: interfaceName, peers: [entry]))
                updated = true
            } catch {
                note = "the peer is registered, but adding it to \(interfaceName) failed: \(error.message); valon-discovery adds it from the registry"
            }
        } else {
            note = "interface \(interfaceName) does not exist; valon-discovery adds the peer from the registry once it is up"
        }
        // The other discovery nodes go into the client's DISCOVERY_FALLBACKS (§11); a registry
        // that cannot list them now costs the client only its fallbacks.
        let nodes = (try? await registry.discoveryNodes().nodes) ?? []
        return PeerAddition(peer: peer, allocated: address == nil,
                            setup: ClientSetup(peer: peer, discoveryPublicKey: discoveryKey, configuration: configuration,
                                               otherNodes: nodes),
                            interfaceUpdated: updated, interfaceNote: note)
    }

    /// The discovery node's public key: from the interface, else from the key files.
    func discoveryPublicKey(_ device: WireGuardDevice?) throws(AdminError) -> WireGuardKey {
        if let key = device?.publicKey { return key }
        let publicFile = "\(keyDirectory)/\(interfaceName).pub"
        let privateFile = "\(keyDirectory)/\(interfaceName).key"
        if let text = try? String(contentsOfFile: publicFile, encoding: .utf8),
           let key = try? WireGuardKey(base64: text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            return key
        }
        if FileManager.default.fileExists(atPath: privateFile) {
            do {
                return try WireGuardKeyFile.read(from: privateFile).publicKey()
            } catch {
                throw AdminError(.interface, "cannot take the discovery public key from \(privateFile): \(error.message)", cause: error)
            }
        }
        let state = device == nil ? "does not exist" : "has no private key"
        throw AdminError(.interface, "interface \(interfaceName) \(state) and neither \(publicFile) nor \(privateFile) holds the discovery node's key, which the client's configuration needs; nothing was registered")
    }
}

extension Peer {
    /// The peer's address as a single-address network: its AllowedIPs on the discovery node.
    public var hostNetwork: IPNetwork {
        IPNetwork.host(wgIP)
    }
}
